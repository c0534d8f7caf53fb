/* string.c - memcpy, memmove, memset and memcmp for the kernel.

   The kernel calls none of them, but GCC may: a freestanding program must
   still provide these four (GCC manual, "C Language Standards"), because
   the compiler emits calls to them for what it does not inline, such as
   copying a struct of a few dozen bytes on arm64 with -mstrict-align
   (hdr/pci.h's pci_drv_assign() copies its window set that way). Byte
   loops: short, obviously right, and with -ffreestanding GCC does not turn
   them back into calls to themselves (nm shows no undefined symbol). */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    while (n--)
        *d++ = *s++;
    return dst;
}

/* Forwards unless the destination starts inside the source, where a
   forward copy would overwrite bytes before reading them. */
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if ((uintptr_t)d - (uintptr_t)s >= n) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;

    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
