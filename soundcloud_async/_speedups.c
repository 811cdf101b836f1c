/*
 * soundcloud_async._speedups: the fast path's copy from decoded mirrors into the models, in C.
 *
 * soundcloud_async._fastpath decodes response bytes with msgspec into generated Struct
 * "mirrors" of the attrs models, then copies each mirror into its model. In Python that
 * copy is one attribute load and one store per field (16,200 fields on a 200-track page)
 * plus the dates: about as much CPU as the JSON decode itself. A Copier does the same
 * copy in C: both classes are slotted, so each field is a member descriptor holding an
 * offset into the instance, and copying a field is a pointer move.
 *
 * What a Copier does per field is what the generated Python copy does (tests/
 * test_fastpath.py checks the two against each other and against the tolerant path):
 *
 *   COPY        the value as it is (the mirror's types already are the model's)
 *   DATE        None stays None; SoundCloud's "yyyy/MM/dd HH:mm:ss +0000" with ASCII
 *               digits becomes datetime(..., tzinfo=timezone.utc) when those numbers are a
 *               valid date; any other string goes to the Python parser (`arg`), which
 *               gives the same answer for the canonical form and handles everything else
 *   ENUM        None stays None; a string becomes arg.get(value, value)
 *   MODEL       None stays None; else arg(value) (another Copier's copy, or any callable)
 *   MODEL_LIST  None stays None; else [arg(i) for i in value]
 *
 * The instance is made like object.__new__(cls) and __init__ is not run: _fastpath only
 * asks for a Copier for models whose __init__ does nothing but store (no validators,
 * converters or __attrs_post_init__), exactly as its Python copy does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <structmember.h>

#ifndef Py_T_OBJECT_EX
#define Py_T_OBJECT_EX T_OBJECT_EX
#endif
#ifndef Py_READONLY
#define Py_READONLY READONLY
#endif

enum { KIND_COPY = 0, KIND_DATE = 1, KIND_ENUM = 2, KIND_MODEL = 3, KIND_MODEL_LIST = 4 };

typedef struct {
    Py_ssize_t src;  /* offset of the field in a mirror */
    Py_ssize_t dst;  /* offset of the field in a model */
    int kind;
    PyObject *arg;   /* DATE: the Python parser; ENUM: a dict; MODEL(_LIST): a callable */
} Field;

typedef struct {
    PyObject_HEAD
    PyTypeObject *src_type;
    PyTypeObject *dst_type;
    Py_ssize_t nfields;
    Field *fields;
} Copier;

static PyTypeObject Copier_Type;
static PyObject *empty_tuple;

/* -- dates ------------------------------------------------------------------------- */

static inline int
digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = s[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

/* SoundCloud's canonical date, or NULL with no error set when `value` is not one. */
static PyObject *
canonical_date(PyObject *value)
{
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(value) < 0) return NULL;  /* a legacy string: the error stands */
#endif
    if (!PyUnicode_IS_ASCII(value) || PyUnicode_GET_LENGTH(value) != 25) return NULL;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(value);
    if (s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
        memcmp(s + 19, " +0000", 6) != 0) {
        return NULL;
    }
    int year = digits(s, 4), month = digits(s + 5, 2), day = digits(s + 8, 2);
    int hour = digits(s + 11, 2), minute = digits(s + 14, 2), second = digits(s + 17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return NULL;
    PyObject *out = PyDateTimeAPI->DateTime_FromDateAndTime(
        year, month, day, hour, minute, second, 0, PyDateTime_TimeZone_UTC,
        PyDateTimeAPI->DateTimeType);
    if (out == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();  /* not a valid date (day 31 of April...): the parser decides */
    }
    return out;
}

static PyObject *
convert_date(PyObject *value, PyObject *parse)
{
    if (value == Py_None) return Py_NewRef(Py_None);
    if (PyUnicode_CheckExact(value)) {
        PyObject *out = canonical_date(value);
        if (out != NULL || PyErr_Occurred()) return out;
    }
    return PyObject_CallOneArg(parse, value);
}

/* -- the copy ---------------------------------------------------------------------- */

static PyObject *copier_copy(Copier *self, PyObject *src);

static inline PyObject *
call_nested(PyObject *fn, PyObject *value)
{
    if (Py_IS_TYPE(fn, &Copier_Type)) return copier_copy((Copier *)fn, value);
    return PyObject_CallOneArg(fn, value);
}

/* [fn(item) for item in items], for an exact list. */
static PyObject *
map_list(PyObject *fn, PyObject *items, const char *not_a_list)
{
    if (!PyList_CheckExact(items)) {
        PyErr_SetString(PyExc_TypeError, not_a_list);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(items);
    PyObject *out = PyList_New(n);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i >= PyList_GET_SIZE(items)) {  /* a Python callable shrank it */
            PyErr_SetString(PyExc_RuntimeError, "list changed size during the copy");
            Py_DECREF(out);
            return NULL;
        }
        PyObject *src = Py_NewRef(PyList_GET_ITEM(items, i));
        PyObject *item = call_nested(fn, src);
        Py_DECREF(src);
        if (item == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, item);
    }
    return out;
}

static PyObject *
convert(const Field *f, PyObject *value)
{
    switch (f->kind) {
    case KIND_DATE:
        return convert_date(value, f->arg);
    case KIND_ENUM:
        if (PyUnicode_CheckExact(value)) {
            PyObject *member = PyDict_GetItemWithError(f->arg, value);
            if (member != NULL) return Py_NewRef(member);
            if (PyErr_Occurred()) return NULL;
        }
        return Py_NewRef(value);
    case KIND_MODEL:
        if (value == Py_None) return Py_NewRef(Py_None);
        return call_nested(f->arg, value);
    case KIND_MODEL_LIST:
        if (value == Py_None) return Py_NewRef(Py_None);
        return map_list(f->arg, value, "a model list field holds a non-list");
    default:
        return Py_NewRef(value);
    }
}

static PyObject *
copier_copy(Copier *self, PyObject *src)
{
    if (!PyObject_TypeCheck(src, self->src_type)) {
        PyErr_Format(PyExc_TypeError, "expected a %s, got a %s", self->src_type->tp_name,
                     Py_TYPE(src)->tp_name);
        return NULL;
    }
    /* object.__new__(cls): checks what it checks (abstract classes), then allocates. */
    PyObject *out = PyBaseObject_Type.tp_new(self->dst_type, empty_tuple, NULL);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < self->nfields; i++) {
        const Field *f = &self->fields[i];
        PyObject *value = *(PyObject **)((char *)src + f->src);
        if (value == NULL) {
            PyErr_Format(PyExc_AttributeError, "a %s has an unset field",
                         self->src_type->tp_name);
            Py_DECREF(out);
            return NULL;
        }
        PyObject *converted;
        if (f->kind == KIND_COPY) {
            converted = Py_NewRef(value);
        }
        else {  /* held: a Python callable may rebind the mirror's field meanwhile */
            Py_INCREF(value);
            converted = convert(f, value);
            Py_DECREF(value);
        }
        if (converted == NULL) {
            Py_DECREF(out);  /* the fields set so far are released with it */
            return NULL;
        }
        PyObject **slot = (PyObject **)((char *)out + f->dst);
        Py_XSETREF(*slot, converted);
    }
    return out;
}

static PyObject *
Copier_copy(PyObject *self, PyObject *src)
{
    return copier_copy((Copier *)self, src);
}

static PyObject *
Copier_call(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *src;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "Copier() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_UnpackTuple(args, "Copier", 1, 1, &src)) return NULL;
    return copier_copy((Copier *)self, src);
}

static PyObject *
Copier_copy_list(PyObject *self, PyObject *items)
{
    return map_list(self, items, "copy_list() takes a list");
}

/* -- construction: every offset comes from a checked member descriptor ---------------- */

static Py_ssize_t
slot_offset(PyObject *descr, PyTypeObject *owner, const char *which)
{
    if (!Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyErr_Format(PyExc_TypeError, "%s: not a member descriptor (a __slots__ field)", which);
        return -1;
    }
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != Py_T_OBJECT_EX || (member->flags & Py_READONLY)) {
        PyErr_Format(PyExc_TypeError, "%s: not a writable object slot", which);
        return -1;
    }
    if (!PyType_IsSubtype(owner, PyDescr_TYPE(descr))) {
        PyErr_Format(PyExc_TypeError, "%s: a slot of another class", which);
        return -1;
    }
    return member->offset;
}

static PyObject *
Copier_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"src_type", "dst_type", "fields", NULL};
    PyObject *src_type, *dst_type, *spec;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!:Copier", kwlist, &PyType_Type,
                                     &src_type, &PyType_Type, &dst_type, &PyTuple_Type,
                                     &spec)) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    Copier *self = (Copier *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->src_type = (PyTypeObject *)Py_NewRef(src_type);
    self->dst_type = (PyTypeObject *)Py_NewRef(dst_type);
    self->fields = PyMem_Calloc(n ? n : 1, sizeof(Field));
    if (self->fields == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    self->nfields = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *src_descr, *dst_descr, *arg;
        int kind;
        PyObject *item = PyTuple_GET_ITEM(spec, i);
        if (!PyTuple_Check(item) ||
            !PyArg_ParseTuple(item, "OOiO:Copier field", &src_descr, &dst_descr, &kind, &arg)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError,
                                "a field is a (src descriptor, dst descriptor, kind, arg) tuple");
            }
            goto fail;
        }
        Field *f = &self->fields[i];
        f->src = slot_offset(src_descr, (PyTypeObject *)src_type, "source field");
        f->dst = f->src < 0 ? -1 : slot_offset(dst_descr, (PyTypeObject *)dst_type, "target field");
        if (f->dst < 0) goto fail;
        if (kind < KIND_COPY || kind > KIND_MODEL_LIST) {
            PyErr_Format(PyExc_ValueError, "unknown field kind %d", kind);
            goto fail;
        }
        if (kind == KIND_ENUM && !PyDict_CheckExact(arg)) {
            PyErr_SetString(PyExc_TypeError, "an enum field's argument is a dict");
            goto fail;
        }
        if ((kind == KIND_DATE || kind == KIND_MODEL || kind == KIND_MODEL_LIST) &&
            !PyCallable_Check(arg)) {
            PyErr_SetString(PyExc_TypeError, "a date or model field's argument is a callable");
            goto fail;
        }
        f->kind = kind;
        f->arg = Py_NewRef(arg);
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);  /* the dealloc releases the fields set so far */
    return NULL;
}

static int
Copier_traverse(Copier *self, visitproc visit, void *arg)
{
    Py_VISIT(self->src_type);
    Py_VISIT(self->dst_type);
    if (self->fields != NULL) {
        for (Py_ssize_t i = 0; i < self->nfields; i++) Py_VISIT(self->fields[i].arg);
    }
    return 0;
}

static int
Copier_clear(Copier *self)
{
    Py_CLEAR(self->src_type);
    Py_CLEAR(self->dst_type);
    if (self->fields != NULL) {
        for (Py_ssize_t i = 0; i < self->nfields; i++) Py_CLEAR(self->fields[i].arg);
    }
    return 0;
}

static void
Copier_dealloc(Copier *self)
{
    PyObject_GC_UnTrack(self);
    Copier_clear(self);
    PyMem_Free(self->fields);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Copier_repr(Copier *self)
{
    return PyUnicode_FromFormat("<Copier %s -> %s, %zd fields>", self->src_type->tp_name,
                                self->dst_type->tp_name, self->nfields);
}

static PyMethodDef Copier_methods[] = {
    {"copy", Copier_copy, METH_O, "copy(mirror) -> model"},
    {"copy_list", Copier_copy_list, METH_O, "copy_list([mirror, ...]) -> [model, ...]"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject Copier_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "soundcloud_async._speedups.Copier",
    .tp_basicsize = sizeof(Copier),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Copier(src_type, dst_type, fields): copy decoded mirrors into models.",
    .tp_new = Copier_new,
    .tp_traverse = (traverseproc)Copier_traverse,
    .tp_clear = (inquiry)Copier_clear,
    .tp_dealloc = (destructor)Copier_dealloc,
    .tp_repr = (reprfunc)Copier_repr,
    .tp_call = Copier_call,
    .tp_methods = Copier_methods,
};

static PyObject *
speedups_parse_date(PyObject *module, PyObject *args)
{
    PyObject *value, *parse;
    if (!PyArg_ParseTuple(args, "OO:parse_date", &value, &parse)) return NULL;
    return convert_date(value, parse);
}

static PyMethodDef module_methods[] = {
    {"parse_date", speedups_parse_date, METH_VARARGS,
     "parse_date(value, fallback): a DATE field's conversion (for tests)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "C speedups of soundcloud_async's fast path (optional; _fastpath works without them).",
    -1, module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    empty_tuple = PyTuple_New(0);
    if (empty_tuple == NULL) return NULL;
    if (PyType_Ready(&Copier_Type) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    if (PyModule_AddObjectRef(module, "Copier", (PyObject *)&Copier_Type) < 0 ||
        PyModule_AddIntConstant(module, "COPY", KIND_COPY) < 0 ||
        PyModule_AddIntConstant(module, "DATE", KIND_DATE) < 0 ||
        PyModule_AddIntConstant(module, "ENUM", KIND_ENUM) < 0 ||
        PyModule_AddIntConstant(module, "MODEL", KIND_MODEL) < 0 ||
        PyModule_AddIntConstant(module, "MODEL_LIST", KIND_MODEL_LIST) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
