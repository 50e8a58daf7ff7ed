/* Elasticsearch's word and sentence chunkers in C, over the ICU library PyICU already loaded.
 *
 * The Python chunkers (word.py, sentence.py) spend most of their time crossing from Python to
 * ICU once per boundary. This module runs the same algorithms with ICU's C API in one call per
 * document: every boundary and every rule status still comes from ICU (ubrk_next,
 * ubrk_getRuleStatus), visited exactly as the per-boundary port in tests/unit/chunking walks
 * them. The GIL is released while ICU runs, so threads can chunk different documents at once.
 *
 * No ICU headers ship with PyICU-wheels, so the few prototypes used are declared here and the
 * functions are looked up with dlsym in the libicuuc that `import icu` mapped into the process
 * (`load(path, suffix)`, suffix "_77" for ICU 77's versioned symbol names). Same library, same
 * data, same dictionaries as PyICU.
 *
 * Offsets: ICU indexes UTF-16 code units, Python code points; they differ only after astral
 * characters, which only a PyUnicode_4BYTE_KIND string can hold. Lone surrogates are one unit
 * and one code point, as Python's "surrogatepass" UTF-16 codec has them; ICU sees them as
 * PyICU converts them (see text_init).
 *
 * Longer than our usual module: both chunkers, their shared index and the Python type live in
 * one file so that the build stays a single optional source with no header.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef Py_T_OBJECT_EX /* before 3.12 */
#include "structmember.h"
#define Py_T_OBJECT_EX T_OBJECT_EX
#endif

typedef uint16_t UChar;
typedef int UErrorCode; /* > 0 is a failure, <= 0 success or warning */
typedef struct UBreakIterator UBreakIterator;
enum { UBRK_WORD = 1, UBRK_SENTENCE = 3, UBRK_DONE = -1 };

static UBreakIterator *(*ubrk_open_)(int, const char *, const UChar *, int32_t, UErrorCode *);
static void (*ubrk_close_)(UBreakIterator *);
static void (*ubrk_setText_)(UBreakIterator *, const UChar *, int32_t, UErrorCode *);
static int32_t (*ubrk_next_)(UBreakIterator *);
static int32_t (*ubrk_getRuleStatus_)(UBreakIterator *);

/* ---- growable int32 arrays ------------------------------------------------------------ */

typedef struct {
    int32_t *v;
    Py_ssize_t n, cap;
} Vec;

static int vec_reserve(Vec *a, Py_ssize_t cap) {
    if (cap <= a->cap) return 0;
    int32_t *v = realloc(a->v, (size_t)cap * sizeof(int32_t));
    if (v == NULL) return -1;
    a->v = v;
    a->cap = cap;
    return 0;
}

static inline int vec_push(Vec *a, int32_t x) {
    if (a->n == a->cap && vec_reserve(a, a->cap ? 2 * a->cap : 64) < 0) return -1;
    a->v[a->n++] = x;
    return 0;
}

/* First index with a[i] >= x (Python's bisect_left). */
static Py_ssize_t bisect_left(const Vec *a, int64_t x) {
    Py_ssize_t lo = 0, hi = a->n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (a->v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* First index with a[i] > x (Python's bisect_right). */
static Py_ssize_t bisect_right(const Vec *a, int64_t x) {
    Py_ssize_t lo = 0, hi = a->n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (x < a->v[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* ---- the text in UTF-16 ---------------------------------------------------------------- */

typedef struct {
    const UChar *units;
    UChar *owned;   /* allocated copy, or NULL when units point into the str itself */
    int32_t length; /* in UTF-16 units */
    Vec astral;     /* UTF-16 offsets of the astral characters (each two units long) */
} Text;

/* Needs no GIL: a str is immutable and the caller holds a reference. Returns -1 on no memory. */
static int text_init(Text *t, PyObject *str) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(str);
    int kind = PyUnicode_KIND(str);
    const void *data = PyUnicode_DATA(str);
    memset(t, 0, sizeof(*t));
    if (kind == PyUnicode_2BYTE_KIND) { /* already UTF-16 */
        t->units = (const UChar *)data;
        t->length = (int32_t)n;
        return 0;
    }
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = data;
        t->owned = malloc((size_t)(n ? n : 1) * sizeof(UChar));
        if (t->owned == NULL) return -1;
        for (Py_ssize_t i = 0; i < n; i++) t->owned[i] = s[i];
        t->units = t->owned;
        t->length = (int32_t)n;
        return 0;
    }
    const Py_UCS4 *s = data;
    Py_ssize_t out = 0;
    t->owned = malloc((size_t)(2 * n + 1) * sizeof(UChar));
    if (t->owned == NULL) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = s[i];
        if (c > 0xFFFF) {
            if (vec_push(&t->astral, (int32_t)out) < 0) return -1;
            c -= 0x10000;
            t->owned[out++] = (UChar)(0xD800 + (c >> 10));
            t->owned[out++] = (UChar)(0xDC00 + (c & 0x3FF));
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            /* PyICU builds a string holding astral characters with UnicodeString::fromUTF32,
             * which turns its lone surrogates into U+FFFD (a 2-byte-kind str keeps them). */
            t->owned[out++] = 0xFFFD;
        } else {
            t->owned[out++] = (UChar)c;
        }
    }
    t->units = t->owned;
    t->length = (int32_t)out;
    return 0;
}

static void text_free(Text *t) {
    free(t->owned);
    free(t->astral.v);
}

/* Code-point offset of a UTF-16 offset that is not inside a surrogate pair. */
static Py_ssize_t text_code_point(const Text *t, int32_t u16) {
    return t->astral.n ? u16 - bisect_left(&t->astral, u16) : u16;
}

/* ---- the chunkers (word.py / sentence.py, statement for statement) --------------------- */

typedef struct {
    Vec bounds; /* every boundary after 0 */
    Vec ends;   /* boundaries whose rule status is not 0: word ends */
} WordIndex;

/* Segment text[0:length] with ICU. bounds may be NULL (the word chunker needs ends only).
 * Returns 0, -1 on no memory, or an ICU error code > 0 (the chunkers add -2: a window past
 * the last word, impossible for overlap >= 0). */
static int word_index(UBreakIterator *it, const UChar *text, int32_t length, Vec *bounds,
                      Vec *ends) {
    UErrorCode status = 0;
    ubrk_setText_(it, text, length, &status);
    if (status > 0) return status;
    for (int32_t b = ubrk_next_(it); b != UBRK_DONE; b = ubrk_next_(it)) {
        if (bounds != NULL && vec_push(bounds, b) < 0) return -1;
        if (ubrk_getRuleStatus_(it) != 0 && vec_push(ends, b) < 0) return -1;
    }
    return 0;
}

/* word.word_windows: (start, end, words) triples appended to out. */
static int word_windows(const Vec *ends, int64_t length, int64_t size, int64_t overlap,
                        Vec *out) {
    if (size < 1) size = 1;
    int64_t step = size - overlap, n = ends->n;
    const int32_t *e = ends->v;
    if (n < size) {
        return (vec_push(out, 0) | vec_push(out, (int32_t)length) | vec_push(out, (int32_t)n)) < 0
                   ? -1 : 0;
    }
    int64_t full = (n - size) / step + 1;
    for (int64_t k = 0; k < full; k++) {
        int32_t start = k == 0 ? 0 : e[k * step - 1];
        if ((vec_push(out, start) | vec_push(out, e[k * step + size - 1]) |
             vec_push(out, (int32_t)size)) < 0)
            return -1;
    }
    if (n > (full - 1) * step + size) {
        if (full * step - 1 >= n) return -2; /* only with overlap < 0, which callers exclude */
        if ((vec_push(out, e[full * step - 1]) | vec_push(out, (int32_t)length) |
             vec_push(out, (int32_t)(n - full * step))) < 0)
            return -1;
    }
    return 0;
}

/* WordIndex.skip_words: the boundary after the separator following the n-th word counted
 * from the boundary preceding start. */
static int64_t skip_words(const WordIndex *w, int64_t start, int64_t n, int64_t length) {
    int64_t first = 0;
    if (start > 0) {
        Py_ssize_t i = bisect_left(&w->bounds, start);
        first = i > 0 ? w->bounds.v[i - 1] : 0;
    }
    if (n <= 0) return first;
    Py_ssize_t j = bisect_left(&w->ends, first) + n - 1;
    if (j >= w->ends.n) return length;
    Py_ssize_t k = bisect_right(&w->bounds, w->ends.v[j]);
    return k < w->bounds.n ? w->bounds.v[k] : length;
}

static int push_span(Vec *out, int64_t start, int64_t end) {
    return (vec_push(out, (int32_t)start) | vec_push(out, (int32_t)end)) < 0 ? -1 : 0;
}

/* sentence.sentence_spans: (start, end) pairs appended to out. */
static int sentence_spans(UBreakIterator *words, UBreakIterator *sentences, const Text *t,
                          int64_t max_words, int overlap, Vec *out) {
    WordIndex w = {{0}, {0}};
    Vec piece_ends = {0}, piece = {0};
    int rc = word_index(words, t->units, t->length, &w.bounds, &w.ends);
    if (rc != 0) goto done;
    UErrorCode status = 0;
    ubrk_setText_(sentences, t->units, t->length, &status);
    if (status > 0) {
        rc = status;
        goto done;
    }
    int64_t length = t->length;
    int64_t carry_cap = max_words / 2 < 20 ? max_words / 2 : 20; /* C division is Java's */
    int64_t split_overlap = (max_words - 1) / 2 < 20 ? (max_words - 1) / 2 : 20;
    int64_t chunk_start = 0, chunk_end = 0, sentence_start = 0, chunk_words = 0;
    int64_t prev_start = 0, prev_words = 0;
    /* count_words(sentence_start, sentence_end) as three cursors instead of three bisections:
     * sentence_start, the boundary preceding it and sentence_end never decrease. */
    Py_ssize_t at_start = 0, first_word = 0, past_end = 0;
    for (int32_t sentence_end = ubrk_next_(sentences); sentence_end != UBRK_DONE;
         sentence_end = ubrk_next_(sentences)) {
        while (at_start < w.bounds.n && w.bounds.v[at_start] < sentence_start) at_start++;
        int64_t first = at_start > 0 ? w.bounds.v[at_start - 1] : 0;
        while (first_word < w.ends.n && w.ends.v[first_word] < first) first_word++;
        while (past_end < w.ends.n && w.ends.v[past_end] <= sentence_end) past_end++;
        int64_t n = past_end - first_word;
        if (chunk_words + n > max_words) {
            int64_t next_words = n;
            if (chunk_words > 0) {
                if ((rc = push_span(out, chunk_start, chunk_end)) != 0) goto done;
                if (overlap) {
                    if (prev_words + n > max_words) {
                        int64_t skip = prev_words - carry_cap > 0 ? prev_words - carry_cap : 0;
                        chunk_start = skip_words(&w, prev_start, skip, length);
                        chunk_words = prev_words - skip + n;
                    } else {
                        chunk_start = prev_start;
                        chunk_words = prev_words + n;
                    }
                    next_words = chunk_words;
                } else {
                    chunk_start = chunk_end;
                    chunk_words = n;
                }
            }
            if (next_words > max_words) {
                /* The long sentence is word-chunked on its own, as a separate text. */
                piece_ends.n = piece.n = 0;
                int32_t piece_len = (int32_t)(sentence_end - chunk_start);
                rc = word_index(words, t->units + chunk_start, piece_len, NULL, &piece_ends);
                if (rc != 0 ||
                    (rc = word_windows(&piece_ends, piece_len, max_words, split_overlap,
                                       &piece)) != 0)
                    goto done;
                Py_ssize_t last = piece.n - 3;
                for (Py_ssize_t k = 0; k < last; k += 3) {
                    rc = push_span(out, chunk_start + piece.v[k], chunk_start + piece.v[k + 1]);
                    if (rc != 0) goto done;
                }
                chunk_start += piece.v[last];
                chunk_words = piece.v[last + 2];
            }
        } else {
            chunk_words += n;
        }
        if (overlap) {
            prev_start = sentence_start;
            prev_words = n;
        }
        sentence_start = chunk_end = sentence_end;
    }
    if (chunk_words > 0 && (rc = push_span(out, chunk_start, length)) != 0) goto done;
    if (out->n == 0) rc = push_span(out, 0, length);
done:
    free(w.bounds.v);
    free(w.ends.v);
    free(piece_ends.v);
    free(piece.v);
    return rc;
}

/* ---- the Segmenter type: one word and one sentence iterator, one thread at a time ----- */

typedef struct {
    PyObject_HEAD
    UBreakIterator *words;
    UBreakIterator *sentences;
    int busy;
} Segmenter;

static int check_icu(UErrorCode status, const char *what) {
    if (status > 0) {
        PyErr_Format(PyExc_RuntimeError, "ICU %s failed (UErrorCode %d)", what, status);
        return -1;
    }
    return 0;
}

static int Segmenter_init(Segmenter *self, PyObject *args, PyObject *kwds) {
    PyObject *warm_up;
    static char *kwlist[] = {"warm_up", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "U", kwlist, &warm_up)) return -1;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(warm_up) < 0) return -1;
#endif
    if (ubrk_open_ == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ICU is not loaded: call load() first");
        return -1;
    }
    if (self->words != NULL) return 0;
    UErrorCode status = 0;
    /* "" is ICU's root locale (Locale::getRoot()), what Elasticsearch's Locale.ROOT means. */
    self->words = ubrk_open_(UBRK_WORD, "", NULL, 0, &status);
    if (check_icu(status, "ubrk_open(word)") < 0) return -1;
    self->sentences = ubrk_open_(UBRK_SENTENCE, "", NULL, 0, &status);
    if (check_icu(status, "ubrk_open(sentence)") < 0) return -1;
    /* Load the dictionary engines as PyICU's iterators are (segmentation.WARM_UP). */
    Text t;
    if (text_init(&t, warm_up) < 0) {
        text_free(&t);
        PyErr_NoMemory();
        return -1;
    }
    ubrk_setText_(self->words, t.units, t.length, &status);
    while (status <= 0 && ubrk_next_(self->words) != UBRK_DONE) {
    }
    text_free(&t);
    return check_icu(status, "ubrk_setText");
}

static void Segmenter_dealloc(Segmenter *self) {
    if (self->words != NULL) ubrk_close_(self->words);
    if (self->sentences != NULL) ubrk_close_(self->sentences);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* offsets.Chunk, a slots dataclass, and its five slots in field order (set_chunk_type). A
 * chunk is built as the frozen dataclass's __init__ builds it (object.__setattr__ on each slot),
 * without running that __init__ through the interpreter. */
static PyTypeObject *chunk_type;
static PyMemberDef *chunk_slots[5];
static const char *const chunk_fields[5] = {"text", "start", "end", "utf16_start", "utf16_end"};

static PyObject *new_chunk(PyObject *str, const Text *t, int32_t s16, int32_t e16) {
    Py_ssize_t s = text_code_point(t, s16), e = text_code_point(t, e16);
    PyObject *values[5] = {PyUnicode_Substring(str, s, e), PyLong_FromSsize_t(s),
                           PyLong_FromSsize_t(e), PyLong_FromLong(s16), PyLong_FromLong(e16)};
    PyObject *chunk = NULL;
    for (int i = 0; i < 5; i++)
        if (values[i] == NULL) goto done;
    chunk = chunk_type->tp_alloc(chunk_type, 0);
    for (int i = 0; chunk != NULL && i < 5; i++)
        if (PyMember_SetOne((char *)chunk, chunk_slots[i], values[i]) < 0) Py_CLEAR(chunk);
done:
    for (int i = 0; i < 5; i++) Py_XDECREF(values[i]);
    return chunk;
}

/* [Chunk, ...] from (start, end) pairs (stride 2) or (start, end, words) triples (stride 3). */
static PyObject *chunks_to_list(PyObject *str, const Text *t, const Vec *spans,
                                Py_ssize_t stride) {
    PyObject *list = PyList_New(spans->n / stride);
    if (list == NULL) return NULL;
    for (Py_ssize_t i = 0; i < spans->n / stride; i++) {
        PyObject *item = new_chunk(str, t, spans->v[i * stride], spans->v[i * stride + 1]);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

/* Runs one chunker with the GIL released; strategy 0 = word, 1 = sentence. */
static PyObject *run(Segmenter *self, PyObject *text, int strategy, int64_t size, int64_t arg) {
    if (self->words == NULL || chunk_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Segmenter not initialised or no Chunk type set");
        return NULL;
    }
    if (PyUnicode_GET_LENGTH(text) > INT32_MAX / 2) {
        PyErr_SetString(PyExc_OverflowError, "text too long for ICU (2**30 characters)");
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) return NULL; /* legacy wstr strings, gone in 3.12 */
#endif
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Segmenter used by two threads at once");
        return NULL;
    }
    self->busy = 1;
    Text t;
    Vec spans = {0}, ends = {0};
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = text_init(&t, text);
    if (rc == 0) {
        if (strategy == 0) {
            rc = word_index(self->words, t.units, t.length, NULL, &ends);
            if (rc == 0) rc = word_windows(&ends, t.length, size, arg, &spans);
        } else {
            rc = sentence_spans(self->words, self->sentences, &t, size, (int)arg, &spans);
        }
    }
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyObject *result = NULL;
    if (rc == -2) PyErr_SetString(PyExc_IndexError, "word window past the last word");
    else if (rc < 0) PyErr_NoMemory();
    else if (rc > 0) check_icu(rc, "segmentation");
    else result = chunks_to_list(text, &t, &spans, strategy == 0 ? 3 : 2);
    text_free(&t);
    free(spans.v);
    free(ends.v);
    return result;
}

static PyObject *Segmenter_word_chunks(Segmenter *self, PyObject *args) {
    PyObject *text;
    int size, overlap;
    if (!PyArg_ParseTuple(args, "Uii", &text, &size, &overlap)) return NULL;
    return run(self, text, 0, size, overlap);
}

static PyObject *Segmenter_sentence_chunks(Segmenter *self, PyObject *args) {
    PyObject *text;
    int max_words, overlap;
    if (!PyArg_ParseTuple(args, "Uip", &text, &max_words, &overlap)) return NULL;
    return run(self, text, 1, max_words, overlap);
}

static PyMethodDef Segmenter_methods[] = {
    {"word_chunks", (PyCFunction)Segmenter_word_chunks, METH_VARARGS,
     "word_chunks(text, size, overlap) -> [Chunk, ...]"},
    {"sentence_chunks", (PyCFunction)Segmenter_sentence_chunks, METH_VARARGS,
     "sentence_chunks(text, max_words, overlap) -> [Chunk, ...]"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SegmenterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pipeline.chunking._icuchunk.Segmenter",
    .tp_basicsize = sizeof(Segmenter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ICU word and sentence iterators (root locale) for one thread.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Segmenter_init,
    .tp_dealloc = (destructor)Segmenter_dealloc,
    .tp_methods = Segmenter_methods,
};

/* ---- load(path, suffix) ---------------------------------------------------------------- */

static void *lookup(void *lib, const char *name, const char *suffix) {
    char full[64];
    snprintf(full, sizeof(full), "%s%s", name, suffix);
    void *f = dlsym(lib, full);
    return f != NULL ? f : dlsym(lib, name); /* builds without symbol renaming */
}

static PyObject *load(PyObject *module, PyObject *args) {
    const char *path, *suffix;
    if (!PyArg_ParseTuple(args, "ss", &path, &suffix)) return NULL;
    /* RTLD_NOLOAD: only the copy PyICU already uses, never a second ICU. */
    void *lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (lib == NULL) {
        PyErr_Format(PyExc_OSError, "ICU library %s is not loaded: %s", path, dlerror());
        return NULL;
    }
    void *open = lookup(lib, "ubrk_open", suffix), *close = lookup(lib, "ubrk_close", suffix);
    void *set_text = lookup(lib, "ubrk_setText", suffix), *next = lookup(lib, "ubrk_next", suffix);
    void *rule_status = lookup(lib, "ubrk_getRuleStatus", suffix);
    if (!open || !close || !set_text || !next || !rule_status) {
        dlclose(lib);
        PyErr_Format(PyExc_OSError, "ubrk_* functions (suffix %s) not found in %s", suffix, path);
        return NULL;
    }
    ubrk_open_ = open;
    ubrk_close_ = close;
    ubrk_setText_ = set_text;
    ubrk_next_ = next;
    ubrk_getRuleStatus_ = rule_status;
    Py_RETURN_NONE; /* lib stays open for the life of the process */
}

static PyObject *set_chunk_type(PyObject *module, PyObject *type) {
    if (!PyType_Check(type)) {
        PyErr_SetString(PyExc_TypeError, "set_chunk_type() needs a class");
        return NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)type;
    PyMemberDef *found[5] = {NULL};
    for (PyMemberDef *m = tp->tp_members; m != NULL && m->name != NULL; m++) {
        for (int i = 0; i < 5; i++)
            if (strcmp(m->name, chunk_fields[i]) == 0 && m->type == Py_T_OBJECT_EX)
                found[i] = m;
    }
    for (int i = 0; i < 5; i++) {
        if (found[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s has no __slots__ member %s", tp->tp_name,
                         chunk_fields[i]);
            return NULL;
        }
    }
    Py_INCREF(type);
    Py_XSETREF(chunk_type, tp);
    memcpy(chunk_slots, found, sizeof(found));
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"set_chunk_type", set_chunk_type, METH_O,
     "set_chunk_type(Chunk): the slots dataclass (text, start, end, utf16_start, utf16_end)."},
    {"load", load, METH_VARARGS,
     "load(path, suffix): use the ubrk_* functions of the loaded ICU library at path."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_icuchunk",
    "Elasticsearch's word and sentence chunkers over ICU's C API.", -1, module_methods,
};

PyMODINIT_FUNC PyInit__icuchunk(void) {
    if (PyType_Ready(&SegmenterType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    Py_INCREF(&SegmenterType);
    if (PyModule_AddObject(m, "Segmenter", (PyObject *)&SegmenterType) < 0) {
        Py_DECREF(&SegmenterType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
