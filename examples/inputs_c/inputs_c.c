/* inputs_c reads every kind of input a WASI program has and prints a summary of it: the
 * wall-clock time, random numbers, its arguments, its environment, stdin, and the files
 * of a preopened directory (default /data; `inputs_c [-dir DIR] ARGS...`).
 * C with wasi-libc, built for wasm32-wasip1 by clang; see build.sh. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void fail(const char *what) {
    fprintf(stderr, "inputs_c: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Reads all of `f` into a buffer that the caller frees; its length goes to `len`. */
static char *read_all(FILE *f, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Counts the words of `data` and copies the first (at most 31 bytes) into `first`. */
static size_t count_words(const char *data, size_t len, char first[32]) {
    size_t words = 0;
    first[0] = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && is_space(data[i])) i++;
        if (i == len) break;
        size_t start = i;
        while (i < len && !is_space(data[i])) i++;
        if (words++ == 0) {
            size_t n = i - start < 31 ? i - start : 31;
            memcpy(first, data + start, n);
            first[n] = 0;
        }
    }
    return words;
}

/* FNV-1a, 64 bits. */
static uint64_t fnv1a(const char *data, size_t len) {
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)data[i]) * 0x100000001b3u;
    return h;
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints `s` in double quotes, with quotes, backslashes and control bytes escaped. */
static void print_quoted(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
}

static void list_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        printf("%s: cannot list: %s\n", dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char **more = realloc(names, (count + 1) * sizeof *names);
        if (!more || !(more[count] = strdup(e->d_name))) fail("listing");
        names = more;
        count++;
    }
    closedir(d);
    qsort(names, count, sizeof *names, compare_strings);

    printf("%s: %zu entries\n", dir, count);
    char path[1024];
    for (size_t i = 0; i < count; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) != 0) {
            printf("  %s: %s\n", names[i], strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            printf("  %s: directory\n", names[i]);
        } else if (!S_ISREG(st.st_mode)) {
            printf("  %s: not a regular file\n", names[i]);
        } else {
            FILE *f = fopen(path, "rb");
            size_t len = 0;
            char *data = f ? read_all(f, &len) : NULL;
            if (!data) {
                printf("  %s: %s\n", names[i], strerror(errno));
            } else {
                char first[32];
                size_t words = count_words(data, len, first);
                printf("  %s: %zu bytes, %zu words, first word ", names[i], len, words);
                print_quoted(first);
                putchar('\n');
                free(data);
            }
            if (f) fclose(f);
        }
        free(names[i]);
    }
    free(names);

    struct stat st;
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    if (stat(path, &st) != 0)
        printf("missing.txt: not there (%s)\n", errno == ENOENT ? "true" : "false");
}

int main(int argc, char **argv) {
    const char *dir = "/data";
    int first_arg = 1;
    if (argc >= 3 && !strcmp(argv[1], "-dir")) {
        dir = argv[2];
        first_arg = 3;
    }

    /* Clocks: the wall clock, and the monotonic clock around a short sleep. */
    struct timespec now, start, end;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) fail("wall clock");
    struct tm tm;
    char when[64];
    gmtime_r(&now.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    printf("time: %s.%09ldZ (unix %lld)\n", when, (long)now.tv_nsec, (long long)now.tv_sec);
    if (clock_gettime(CLOCK_MONOTONIC, &start) != 0) fail("monotonic clock");
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
    if (clock_gettime(CLOCK_MONOTONIC, &end) != 0) fail("monotonic clock");
    int64_t slept = (int64_t)(end.tv_sec - start.tv_sec) * 1000000000 + (end.tv_nsec - start.tv_nsec);
    printf("slept: at least 20ms: %s\n", slept >= 20000000 ? "true" : "false");

    /* Random numbers: 16 bytes of getentropy, a number below 1000000 without bias, and a
     * shuffle of 0..7 by a xorshift generator seeded from the bytes. */
    unsigned char bytes[16];
    if (getentropy(bytes, sizeof bytes) != 0) fail("random");
    printf("random bytes: ");
    for (size_t i = 0; i < sizeof bytes; i++) printf("%02x", bytes[i]);
    putchar('\n');
    uint32_t r;
    do {
        if (getentropy(&r, sizeof r) != 0) fail("random");
    } while (r >= 4294000000u); /* 4294 * 1000000: below it, r % 1000000 is uniform */
    printf("random number below 1000000: %u\n", (unsigned)(r % 1000000));
    uint64_t seed;
    memcpy(&seed, bytes, sizeof seed);
    seed |= 1;
    int deck[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 7; i > 0; i--) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        int j = (int)(seed % (uint64_t)(i + 1)), t = deck[i];
        deck[i] = deck[j];
        deck[j] = t;
    }
    printf("shuffled 0..7: [");
    for (int i = 0; i < 8; i++) printf(i ? " %d" : "%d", deck[i]);
    printf("]\n");

    /* Arguments. */
    printf("argv[0]: %s\n", argc > 0 ? argv[0] : "");
    printf("%d arguments:", argc - first_arg);
    for (int i = first_arg; i < argc; i++) {
        putchar(' ');
        print_quoted(argv[i]);
    }
    putchar('\n');

    /* Environment, sorted. */
    size_t vars = 0;
    while (environ && environ[vars]) vars++;
    char **env = malloc((vars + 1) * sizeof *env);
    if (!env) fail("environment");
    memcpy(env, environ, vars * sizeof *env);
    qsort(env, vars, sizeof *env, compare_strings);
    printf("%zu environment variables:\n", vars);
    for (size_t i = 0; i < vars; i++) printf("  %s\n", env[i]);
    free(env);
    const char *greeting = getenv("GREETING");
    if (greeting) {
        printf("GREETING says ");
        print_quoted(greeting);
        putchar('\n');
    }

    /* stdin: bytes, lines, words and a digest. */
    size_t len = 0;
    char *input = read_all(stdin, &len);
    if (!input) fail("reading stdin");
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += input[i] == '\n';
    char first[32];
    size_t words = count_words(input, len, first);
    printf("stdin: %zu bytes, %zu lines, %zu words, fnv1a %016llx\n", len, lines, words,
           (unsigned long long)fnv1a(input, len));
    free(input);

    /* Files: list the preopened directory, read each regular file and count its words. */
    list_dir(dir);
    return 0;
}
