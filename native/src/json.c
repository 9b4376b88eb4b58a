// Minimal JSON reader (RFC 8259 subset: no \u escapes beyond ASCII) for device profiles.
#include "xpusim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *p; char *err; size_t errlen; int depth; } xjp;

static void skip_ws(xjp *s) { while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r') s->p++; }
static xj *fail(xjp *s, const char *msg) { if (s->err && !s->err[0]) snprintf(s->err, s->errlen, "%s near '%.20s'", msg, s->p); return NULL; }
static xj *xj_new(xj_type t) { xj *v = calloc(1, sizeof *v); if (v) v->type = t; return v; }

static char *parse_string(xjp *s) {
    if (*s->p != '"') return NULL;
    s->p++;
    size_t cap = 32, n = 0;
    char *o = malloc(cap);
    if (!o) return NULL;
    while (*s->p && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\') {
            char e = *s->p++;
            switch (e) {
            case 'n': c = '\n'; break; case 't': c = '\t'; break; case 'r': c = '\r'; break;
            case 'b': c = '\b'; break; case 'f': c = '\f'; break;
            case 'u': { unsigned v = 0; for (int i = 0; i < 4; i++) { char h = *s->p++; v <<= 4;
                        if (h >= '0' && h <= '9') v |= (unsigned)(h - '0'); else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                        else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10); else { free(o); return NULL; } }
                        c = v < 128 ? (char)v : '?'; break; }
            case '"': case '\\': case '/': c = e; break;
            default: free(o); return NULL;
            }
        }
        if (n + 2 > cap) { cap *= 2; char *t = realloc(o, cap); if (!t) { free(o); return NULL; } o = t; }
        o[n++] = c;
    }
    if (*s->p != '"') { free(o); return NULL; }
    s->p++;
    o[n] = 0;
    return o;
}

static xj *parse_value(xjp *s);

static bool push(xj *v, char *key, xj *item) {
    char **nk = v->type == XJ_OBJ ? realloc(v->keys, (v->n + 1) * sizeof *nk) : NULL;
    if (v->type == XJ_OBJ) { if (!nk) return false; v->keys = nk; v->keys[v->n] = key; }
    xj **ni = realloc(v->items, (v->n + 1) * sizeof *ni);
    if (!ni) return false;
    v->items = ni;
    v->items[v->n++] = item;
    return true;
}

static xj *parse_value(xjp *s) {
    skip_ws(s);
    if (++s->depth > 64) return fail(s, "nesting too deep");
    xj *v = NULL;
    if (*s->p == '{') {
        s->p++;
        v = xj_new(XJ_OBJ);
        skip_ws(s);
        if (*s->p == '}') { s->p++; goto out; }
        for (;;) {
            skip_ws(s);
            char *k = parse_string(s);
            if (!k) { xj_free(v); return fail(s, "expected string key"); }
            skip_ws(s);
            if (*s->p != ':') { free(k); xj_free(v); return fail(s, "expected ':'"); }
            s->p++;
            xj *item = parse_value(s);
            if (!item) { free(k); xj_free(v); return NULL; }
            if (!push(v, k, item)) { free(k); xj_free(item); xj_free(v); return fail(s, "out of memory"); }
            skip_ws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p == '}') { s->p++; break; }
            xj_free(v); return fail(s, "expected ',' or '}'");
        }
    } else if (*s->p == '[') {
        s->p++;
        v = xj_new(XJ_ARR);
        skip_ws(s);
        if (*s->p == ']') { s->p++; goto out; }
        for (;;) {
            xj *item = parse_value(s);
            if (!item) { xj_free(v); return NULL; }
            if (!push(v, NULL, item)) { xj_free(item); xj_free(v); return fail(s, "out of memory"); }
            skip_ws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p == ']') { s->p++; break; }
            xj_free(v); return fail(s, "expected ',' or ']'");
        }
    } else if (*s->p == '"') {
        char *str = parse_string(s);
        if (!str) return fail(s, "bad string");
        v = xj_new(XJ_STR);
        if (!v) { free(str); return NULL; }
        v->str = str;
    } else if (!strncmp(s->p, "true", 4)) { s->p += 4; v = xj_new(XJ_BOOL); if (v) v->num = 1; }
    else if (!strncmp(s->p, "false", 5)) { s->p += 5; v = xj_new(XJ_BOOL); }
    else if (!strncmp(s->p, "null", 4)) { s->p += 4; v = xj_new(XJ_NULL); }
    else if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
        char *end;
        double d = strtod(s->p, &end);
        if (end == s->p) return fail(s, "bad number");
        s->p = end;
        v = xj_new(XJ_NUM);
        if (v) v->num = d;
    } else return fail(s, "unexpected character");
out:
    s->depth--;
    return v;
}

xj *xj_parse(const char *text, char *err, size_t errlen) {
    xjp s = { text, err, errlen, 0 };
    if (err && errlen) err[0] = 0;
    xj *v = parse_value(&s);
    if (!v) { if (err && !err[0]) snprintf(err, errlen, "parse error"); return NULL; }
    skip_ws(&s);
    if (*s.p) { xj_free(v); fail(&s, "trailing characters"); return NULL; }
    return v;
}

void xj_free(xj *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) { xj_free(v->items[i]); if (v->keys) free(v->keys[i]); }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

const xj *xj_get(const xj *obj, const char *key) {
    if (!obj || obj->type != XJ_OBJ) return NULL;
    for (size_t i = 0; i < obj->n; i++) if (!strcmp(obj->keys[i], key)) return obj->items[i];
    return NULL;
}
