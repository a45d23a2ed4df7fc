/* Declarations only (FuzzerDriver.h); SwiftPM wants a source file per C target. */
#include "FuzzerDriver.h"
