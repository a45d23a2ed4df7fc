import BackpropCore
import BackpropTabular
import Foundation

/// The colours of the plots' series and classes (Tableau 10, which stays
/// distinguishable for the common forms of colour blindness).
enum PlotPalette {
    static let colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                         "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"]
    static func color(_ i: Int) -> String { colors[((i % colors.count) + colors.count) % colors.count] }
}
