// The umbrella module: `import Backprop` gives an application the whole
// library in one line, as swift-numerics' `Numerics` gives its modules.
//
//   BackpropCore     Matrix, layers, Network, training, gradients, data sets
//   BackpropTabular  CSV tables, labels, standardisation, model files
//   BackpropPlots    SVG plots of the loss and of a decision boundary
//
// An application that only trains networks can depend on the
// `BackpropCore` product instead and link none of the file or plot code.
@_exported import BackpropCore
@_exported import BackpropPlots
@_exported import BackpropTabular
