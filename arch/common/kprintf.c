/* kprintf.c - a small printf for the boot console, and into a buffer.

   Enough for boot logs and test output: no floating point (the kernels are
   built without SSE/FPU state), no allocation, no locks (callers are single
   threaded and never print from an ISR). One formatter writes either to
   the console or into a struct kbuf (kbprintf), which a fault report uses
   to build its one-line description before it prints anything. */
#include "kernel.h"

/* Where the formatter's bytes go: the console when buf is NULL. */
struct sink {
    struct kbuf *buf;
};

static void emit(struct sink *o, char c)
{
    struct kbuf *b = o->buf;

    if (!b) {
        platform_putc(c);
        return;
    }
    if (b->len + 1 < b->size)          /* room for c and the NUL */
        b->s[b->len++] = c;
}

struct spec {
    int width;
    int left;     /* '-': pad on the right */
    char pad;     /* ' ' or '0' */
    int size;     /* 0 int, 1 long, 2 long long, 3 size_t */
};

static int pad_to(struct sink *o, int len, int width, char pad)
{
    int n = 0;

    for (; len + n < width; n++)
        emit(o, pad);
    return n;
}

static int put_str(struct sink *o, const char *s, int width, char pad, int left)
{
    int n = 0, len = 0;

    if (!s)
        s = "(null)";
    while (s[len])
        len++;
    if (!left)
        n += pad_to(o, len, width, pad);
    for (int i = 0; i < len; i++)
        emit(o, s[i]);
    if (left)
        n += pad_to(o, len, width, ' ');
    return n + len;
}

/* Format `v` in `base` into the end of buf; returns the first digit. */
static char *utoa(unsigned long long v, unsigned base, char *end)
{
    *--end = 0;
    do {
        *--end = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    return end;
}

static unsigned long long get_unsigned(va_list *ap, int size)
{
    switch (size) {
    case 1: return va_arg(*ap, unsigned long);
    case 2: return va_arg(*ap, unsigned long long);
    case 3: return va_arg(*ap, size_t);
    }
    return va_arg(*ap, unsigned int);
}

static long long get_signed(va_list *ap, int size)
{
    switch (size) {
    case 1: return va_arg(*ap, long);
    case 2: return va_arg(*ap, long long);
    case 3: return (long long)va_arg(*ap, size_t);
    }
    return va_arg(*ap, int);
}

static int put_number(struct sink *o, char conv, va_list *ap, struct spec sp)
{
    char buf[24], *s;
    long long v;

    switch (conv) {
    case 'u':
        return put_str(o, utoa(get_unsigned(ap, sp.size), 10, buf + sizeof buf), sp.width, sp.pad, sp.left);
    case 'x':
        return put_str(o, utoa(get_unsigned(ap, sp.size), 16, buf + sizeof buf), sp.width, sp.pad, sp.left);
    case 'p':
        emit(o, '0');
        emit(o, 'x');
        s = utoa((uintptr_t)va_arg(*ap, void *), 16, buf + sizeof buf);
        return 2 + put_str(o, s, sp.width, '0', 0);
    }
    v = get_signed(ap, sp.size);
    s = utoa(v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, 10, buf + sizeof buf);
    if (v < 0 && sp.pad == '0' && !sp.left) {
        emit(o, '-');               /* -0005, not 000-5 */
        return 1 + put_str(o, s, sp.width - 1, '0', 0);
    }
    if (v < 0)
        *--s = '-';
    return put_str(o, s, sp.width, sp.pad, sp.left);
}

static const char *parse_spec(const char *f, struct spec *sp)
{
    sp->width = 0;
    sp->pad = ' ';
    sp->size = 0;
    sp->left = 0;
    for (; *f == '-' || *f == '0'; f++) {
        if (*f == '-')
            sp->left = 1;
        else
            sp->pad = '0';
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    for (; *f == 'l' || *f == 'z'; f++)
        sp->size = *f == 'z' ? 3 : sp->size + 1;
    return f;
}

static int format(struct sink *o, const char *fmt, va_list ap)
{
    va_list aq;
    struct spec sp;
    int n = 0;

    va_copy(aq, ap);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            emit(o, *f);
            n++;
            continue;
        }
        f = parse_spec(f + 1, &sp);
        switch (*f) {
        case 'c': emit(o, (char)va_arg(aq, int)); n++; break;
        case 's': n += put_str(o, va_arg(aq, const char *), sp.width, ' ', sp.left); break;
        case '%': emit(o, '%'); n++; break;
        case 'd': case 'i': case 'u': case 'x': case 'p':
            n += put_number(o, *f, &aq, sp);
            break;
        case 0: f--; break; /* a lone '%' at the end */
        default: emit(o, '%'); emit(o, *f); n += 2; break;
        }
    }
    va_end(aq);
    return n;
}

int kvprintf(const char *fmt, va_list ap)
{
    struct sink o = { NULL };

    return format(&o, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

int kbprintf(struct kbuf *b, const char *fmt, ...)
{
    struct sink o = { b };
    va_list ap;
    int n;

    if (b->size == 0)
        return 0;
    va_start(ap, fmt);
    n = format(&o, fmt, ap);
    va_end(ap);
    b->s[b->len] = 0;
    return n;
}
