/*
 * FuzzerDriver.h — libFuzzer's driver, for fuzz targets whose `main` is
 * their own (SwiftPM gives every executable a main of the target's).
 *
 * The symbol is defined by the libFuzzer runtime that `-sanitize=fuzzer`
 * links; it parses libFuzzer's command line and runs `test_one_input` on
 * every input, exactly as libFuzzer's own main would.
 */
#ifndef FUZZER_DRIVER_H
#define FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*test_one_input)(const uint8_t *data, size_t size));

#endif
