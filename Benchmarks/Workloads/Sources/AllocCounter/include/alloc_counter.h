/* alloc_counter.h — counts calls to the malloc family in this process. */
#ifndef ALLOC_COUNTER_H
#define ALLOC_COUNTER_H
#include <stdint.h>
/** Number of malloc/calloc/realloc/aligned allocations since start (0 where
 *  counting is not supported, i.e. not glibc). */
uint64_t alloc_counter_total(void);
/** Whether this build can count (glibc only). */
int alloc_counter_supported(void);
#endif
