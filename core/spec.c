/* spec.c: the layer-spec parser (see spec.h). A hand-written lexer and a
 * recursive-descent parser for the subset of Python's call syntax that
 * PyTorch module code uses:
 *
 *   spec   := list END                       at the top level, lines starting with
 *                                              import or from, and print(...)
 *                                              calls, are skipped
 *   list   := { sep } [ item { sep { sep } item } { sep } ]
 *   sep    := ','  |  ';'  |  new line
 *   item   := [ '(' label ')' ':' ] [ dotted-name '=' ] call
 *   call   := dotted-name '(' ( list | dict | args ) ')'  list for Sequential and
 *                                                           printed modules, dict
 *                                                           for OrderedDict
 *   dict   := '[' { '(' 'name' ',' item ')' [ ',' ] } ']'   new lines are spaces here
 *   args   := [ arg { ',' arg } [ ',' ] ]                 new lines are spaces here
 *   arg    := [ name '=' ] value
 *   value  := [ '-' ] number | 'string' | name | '(' value { ',' value } [ ',' ] ')'
 *
 * A call's name may carry any dotted prefix ("nn.", "torch.nn."); only its
 * last part names the layer. Arguments bind to parameters in PyTorch's
 * positional order, then each layer checks its own values. Everything is
 * read straight from the source text; the parser keeps no globals and
 * allocates only the growing array of layers.
 *
 * Names: the parser keeps the dotted path of the containers it is in
 * (Parser.path); an item's key is its label, its OrderedDict name, the
 * attribute a "self.NAME =" assigns, or else its position in its list. */
#include "spec.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SPEC_MAX_ARGS = 16,     /* arguments in one call (PyTorch's layers take at most 12) */
    SPEC_MAX_DEPTH = 32,    /* nested Sequential(...) levels */
    SPEC_SHOW = 40          /* characters of a token quoted in a message */
};

/* ---- lexer ---- */

typedef enum TokKind {
    TOK_END,
    TOK_NEWLINE,
    TOK_NAME,       /* letters, digits, '_' and inner dots: nn.Conv2d */
    TOK_INT,
    TOK_FLOAT,
    TOK_STRING,     /* 'text' or "text" */
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACKET,
    TOK_RBRACKET,
    TOK_COMMA,
    TOK_SEMI,
    TOK_EQUALS,
    TOK_COLON,
    TOK_MINUS,
    TOK_STAR,
    TOK_BAD         /* a character that starts no token */
} TokKind;

typedef struct Token {
    TokKind kind;
    const char *start;  /* the token as written (strings with their quotes) */
    size_t len;
    int line, column;
    long long ival;     /* TOK_INT, capped just above INT_MAX */
    double fval;        /* TOK_INT and TOK_FLOAT */
} Token;

typedef struct Parser {
    const char *src;
    size_t pos;
    int line, column;       /* of src[pos] */
    Token tok;              /* the current token */
    const char *prev_end;   /* just past the token before tok */
    LayerStack *out;
    size_t cap;
    int depth;
    Error *err;
    char path[SPEC_NAME_SIZE];  /* the containers around the current item: "features" */
    size_t top_items;           /* items of the top-level list so far */
    bool top_is_model;          /* the first top-level item is an unlabelled container */
} Parser;

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Steps over one byte. Columns count characters, so UTF-8 continuation
 * bytes do not move the column. */
static void lex_step(Parser *p)
{
    unsigned char c = (unsigned char)p->src[p->pos];
    if (c == '\0')
        return;
    p->pos++;
    if (c == '\n') {
        p->line++;
        p->column = 1;
    } else if ((c & 0xC0) != 0x80) {
        p->column++;
    }
}

/* Skips spaces, '#' comments and backslash line continuations (but not new
 * lines, which separate layers). */
static void lex_skip_space(Parser *p)
{
    for (;;) {
        char c = p->src[p->pos];
        if (is_space(c)) {
            lex_step(p);
        } else if (c == '#') {
            while (p->src[p->pos] != '\0' && p->src[p->pos] != '\n')
                lex_step(p);
        } else if (c == '\\' && (p->src[p->pos + 1] == '\n' ||
                                 (p->src[p->pos + 1] == '\r' && p->src[p->pos + 2] == '\n'))) {
            lex_step(p);
            while (p->src[p->pos] != '\n')
                lex_step(p);
            lex_step(p);
        } else {
            return;
        }
    }
}

/* Digits, an optional fraction and an optional exponent, as Python writes
 * them (3, 0.2, .5, 5., 1e-2, 1e-05). The value is assembled from the
 * digits, so it does not depend on the C locale. */
static void lex_number(Parser *p, Token *t)
{
    double mantissa = 0.0;
    long long ival = 0;
    int exp10 = 0;
    bool is_float = false;

    while (is_digit(p->src[p->pos])) {
        int d = p->src[p->pos] - '0';
        if (ival <= INT_MAX)
            ival = ival * 10 + d;
        if (mantissa < 1e17)
            mantissa = mantissa * 10.0 + d;
        else
            exp10++;
        lex_step(p);
    }
    if (p->src[p->pos] == '.') {
        is_float = true;
        lex_step(p);
        while (is_digit(p->src[p->pos])) {
            if (mantissa < 1e17) {
                mantissa = mantissa * 10.0 + (p->src[p->pos] - '0');
                exp10--;
            }
            lex_step(p);
        }
    }
    if (p->src[p->pos] == 'e' || p->src[p->pos] == 'E') {
        size_t sign = (p->src[p->pos + 1] == '+' || p->src[p->pos + 1] == '-') ? 1 : 0;
        if (is_digit(p->src[p->pos + 1 + sign])) {
            bool negative = p->src[p->pos + 1] == '-';
            int e = 0;
            is_float = true;
            lex_step(p);
            if (sign)
                lex_step(p);
            while (is_digit(p->src[p->pos])) {
                if (e < 100000)
                    e = e * 10 + (p->src[p->pos] - '0');
                lex_step(p);
            }
            exp10 += negative ? -e : e;
        }
    }
    t->kind = is_float ? TOK_FLOAT : TOK_INT;
    t->ival = ival;
    if (exp10 >= 0)
        t->fval = mantissa * pow(10.0, exp10);
    else
        t->fval = mantissa / pow(10.0, -exp10);
}

/* Reads the token at the cursor into t. Fails only on a string that is not
 * closed on its line. */
static Status lex_next(Parser *p, Token *t)
{
    char c;

    lex_skip_space(p);
    memset(t, 0, sizeof *t);
    t->start = p->src + p->pos;
    t->line = p->line;
    t->column = p->column;
    c = p->src[p->pos];

    if (c == '\0') {
        t->kind = TOK_END;
    } else if (c == '\n') {
        t->kind = TOK_NEWLINE;
        lex_step(p);
    } else if (is_alpha(c)) {
        t->kind = TOK_NAME;
        for (;;) {
            while (is_alpha(p->src[p->pos]) || is_digit(p->src[p->pos]))
                lex_step(p);
            if (p->src[p->pos] != '.' || !is_alpha(p->src[p->pos + 1]))
                break;
            lex_step(p);
        }
    } else if (is_digit(c) || (c == '.' && is_digit(p->src[p->pos + 1]))) {
        lex_number(p, t);
    } else if (c == '\'' || c == '"') {
        t->kind = TOK_STRING;
        lex_step(p);
        while (p->src[p->pos] != c) {
            char d = p->src[p->pos];
            if (d == '\0' || d == '\n')
                return error_set(p->err, CS_ERR_SYNTAX,
                                 "line %d, column %d: expected %c to close the string that starts at "
                                 "line %d, column %d, found %s",
                                 p->line, p->column, c, t->line, t->column,
                                 d == '\0' ? "end of input" : "end of line");
            if (d == '\\' && p->src[p->pos + 1] != '\0' && p->src[p->pos + 1] != '\n')
                lex_step(p);
            lex_step(p);
        }
        lex_step(p);
    } else {
        static const char punct[] = "()[],;=:-*";
        static const TokKind kinds[] = {TOK_LPAREN, TOK_RPAREN, TOK_LBRACKET, TOK_RBRACKET,
                                        TOK_COMMA, TOK_SEMI, TOK_EQUALS, TOK_COLON, TOK_MINUS,
                                        TOK_STAR};
        const char *hit = strchr(punct, c);
        t->kind = hit ? kinds[hit - punct] : TOK_BAD;
        lex_step(p);
        if (!hit)
            while (((unsigned char)p->src[p->pos] & 0xC0) == 0x80)
                lex_step(p);
    }
    t->len = (size_t)(p->src + p->pos - t->start);
    return CS_OK;
}

static Status advance(Parser *p)
{
    p->prev_end = p->tok.start + p->tok.len;
    return lex_next(p, &p->tok);
}

static Status skip_newlines(Parser *p)
{
    Status st = CS_OK;
    while (st == CS_OK && p->tok.kind == TOK_NEWLINE)
        st = advance(p);
    return st;
}

/* How a token reads in "found ..." */
static void tok_describe(const Token *t, char *buf, size_t size)
{
    switch (t->kind) {
    case TOK_END:
        snprintf(buf, size, "end of input");
        return;
    case TOK_NEWLINE:
        snprintf(buf, size, "end of line");
        return;
    case TOK_INT:
    case TOK_FLOAT:
        snprintf(buf, size, "%.*s", t->len > SPEC_SHOW ? SPEC_SHOW : (int)t->len, t->start);
        return;
    case TOK_STRING:
        snprintf(buf, size, "%.*s%s", t->len > SPEC_SHOW ? SPEC_SHOW : (int)t->len, t->start,
                 t->len > SPEC_SHOW ? "..." : "");
        return;
    case TOK_BAD: {
        const unsigned char *s = (const unsigned char *)t->start;
        /* Typographic quotes arrive with code copied from slides and web pages. */
        if (t->len == 3 && s[0] == 0xE2 && s[1] == 0x80 &&
            (s[2] == 0x98 || s[2] == 0x99 || s[2] == 0x9C || s[2] == 0x9D))
            snprintf(buf, size, "'%.3s' (a typographic quote: write ' or \")", t->start);
        else if (s[0] >= 0x21 && s[0] < 0x7F)
            snprintf(buf, size, "'%c'", s[0]);
        else if (s[0] >= 0xC2 && s[0] <= 0xF4 && t->len >= 2 && t->len <= 4)
            snprintf(buf, size, "'%.*s'", (int)t->len, t->start);
        else
            snprintf(buf, size, "byte 0x%02X", s[0]);
        return;
    }
    default:
        snprintf(buf, size, "'%.*s%s'", t->len > SPEC_SHOW ? SPEC_SHOW : (int)t->len, t->start,
                 t->len > SPEC_SHOW ? "..." : "");
        return;
    }
}

/* "line L, column C: expected WHAT, found <token>" */
static Status fail_expected(Parser *p, const Token *t, const char *what)
{
    char found[96];
    tok_describe(t, found, sizeof found);
    return error_set(p->err, CS_ERR_SYNTAX, "line %d, column %d: expected %s, found %s",
                     t->line, t->column, what, found);
}

static Status fail_unclosed(Parser *p, const Token *open)
{
    char what[96];
    snprintf(what, sizeof what, "'%c' to close the '%c' at line %d, column %d",
             open->kind == TOK_LBRACKET ? ']' : ')', open->start[0], open->line, open->column);
    return fail_expected(p, &p->tok, what);
}

static Status fail_at(Parser *p, Status status, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static Status fail_at(Parser *p, Status status, int line, int column, const char *fmt, ...)
{
    char msg[280];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_set(p->err, status, "line %d, column %d: %s", line, column, msg);
}

/* ---- values ---- */

typedef enum ValKind { VAL_INT, VAL_FLOAT, VAL_BOOL, VAL_NONE, VAL_WORD, VAL_STRING, VAL_TUPLE } ValKind;

typedef struct Value {
    ValKind kind;
    int line, column;
    const char *raw;        /* the value as written */
    size_t raw_len;
    long long ival[2];      /* VAL_INT: ival[0]; VAL_TUPLE: its first two items */
    bool int_items;         /* VAL_TUPLE: every item is an integer */
    ValKind item_kind[2];   /* VAL_TUPLE: the kinds of its first two items */
    int count;              /* VAL_TUPLE: number of items */
    bool big;               /* an integer beyond INT_MAX in magnitude */
    double fval;            /* VAL_INT and VAL_FLOAT */
    bool bval;
    const char *text;       /* VAL_WORD and VAL_STRING (without quotes) */
    size_t text_len;
} Value;

/* True, False, None or a bare word such as `same`. */
static void value_from_name(const Token *t, Value *v)
{
    v->text = t->start;
    v->text_len = t->len;
    if (t->len == 4 && memcmp(t->start, "True", 4) == 0) {
        v->kind = VAL_BOOL;
        v->bval = true;
    } else if (t->len == 5 && memcmp(t->start, "False", 5) == 0) {
        v->kind = VAL_BOOL;
    } else if (t->len == 4 && memcmp(t->start, "None", 4) == 0) {
        v->kind = VAL_NONE;
    } else {
        v->kind = VAL_WORD;
    }
}

static Status parse_value(Parser *p, Value *v, bool in_tuple);

/* A tuple or list of values; "(3)" without a comma is just 3, as in Python. */
static Status parse_tuple(Parser *p, Value *v)
{
    Token open = p->tok;
    TokKind close = open.kind == TOK_LPAREN ? TOK_RPAREN : TOK_RBRACKET;
    bool comma = false;
    Value item, first;
    Status st;

    v->kind = VAL_TUPLE;
    v->int_items = true;
    memset(&first, 0, sizeof first);
    if ((st = advance(p)) != CS_OK || (st = skip_newlines(p)) != CS_OK)
        return st;
    while (p->tok.kind != close) {
        if (p->tok.kind == TOK_END)
            return fail_unclosed(p, &open);
        memset(&item, 0, sizeof item);
        if ((st = parse_value(p, &item, true)) != CS_OK)
            return st;
        if (v->count == 0)
            first = item;
        if (v->count < 2)
            v->item_kind[v->count] = item.kind;
        if (item.kind != VAL_INT)
            v->int_items = false;
        else if (v->count < 2)
            v->ival[v->count] = item.ival[0];
        v->big = v->big || item.big;
        if (v->count < INT_MAX)
            v->count++;
        if ((st = skip_newlines(p)) != CS_OK)
            return st;
        if (p->tok.kind == TOK_COMMA) {
            comma = true;
            if ((st = advance(p)) != CS_OK || (st = skip_newlines(p)) != CS_OK)
                return st;
        } else if (p->tok.kind == TOK_END) {
            return fail_unclosed(p, &open);
        } else if (p->tok.kind != close) {
            return fail_expected(p, &p->tok, close == TOK_RPAREN ? "',' or ')'" : "',' or ']'");
        }
    }
    if ((st = advance(p)) != CS_OK)
        return st;
    if (v->count == 1 && !comma && open.kind == TOK_LPAREN) {
        const char *raw = v->raw;
        *v = first;
        v->line = open.line;
        v->column = open.column;
        v->raw = raw;
    }
    return CS_OK;
}

/* Reads one value at the current token; v->raw spans it as written. */
static Status parse_value(Parser *p, Value *v, bool in_tuple)
{
    Status st = CS_OK;
    bool negative = false;

    v->line = p->tok.line;
    v->column = p->tok.column;
    v->raw = p->tok.start;
    if (p->tok.kind == TOK_MINUS) {
        negative = true;
        if ((st = advance(p)) != CS_OK)
            return st;
        if (p->tok.kind != TOK_INT && p->tok.kind != TOK_FLOAT)
            return fail_expected(p, &p->tok, "a number after '-'");
    }
    switch (p->tok.kind) {
    case TOK_INT:
    case TOK_FLOAT:
        v->kind = p->tok.kind == TOK_INT ? VAL_INT : VAL_FLOAT;
        v->big = p->tok.kind == TOK_INT && p->tok.ival > INT_MAX;
        v->ival[0] = negative ? -p->tok.ival : p->tok.ival;
        v->fval = negative ? -p->tok.fval : p->tok.fval;
        st = advance(p);
        /* a product of integers, as model code writes Linear(16 * 5 * 5, 120) */
        while (st == CS_OK && v->kind == VAL_INT && p->tok.kind == TOK_STAR) {
            if ((st = advance(p)) != CS_OK)
                return st;
            if (p->tok.kind != TOK_INT)
                return fail_expected(p, &p->tok, "an integer after '*'");
            v->big = v->big || p->tok.ival > INT_MAX ||
                     (v->ival[0] != 0 && llabs(v->ival[0]) > INT_MAX / (p->tok.ival ? p->tok.ival : 1));
            if (!v->big)
                v->ival[0] *= p->tok.ival;
            v->fval = (double)v->ival[0];
            st = advance(p);
        }
        break;
    case TOK_STRING:
        v->kind = VAL_STRING;
        v->text = p->tok.start + 1;
        v->text_len = p->tok.len - 2;
        st = advance(p);
        break;
    case TOK_NAME:
        value_from_name(&p->tok, v);
        st = advance(p);
        break;
    case TOK_LPAREN:
    case TOK_LBRACKET:
        if (!in_tuple) {
            st = parse_tuple(p, v);
            break;
        }
        return fail_expected(p, &p->tok, "a number (tuples do not nest)");
    default:
        return fail_expected(p, &p->tok, "a value");
    }
    v->raw_len = (size_t)(p->prev_end - v->raw);
    return st;
}

/* ---- calls and argument binding ---- */

typedef struct Arg {
    const char *name;       /* NULL for a positional argument */
    size_t name_len;
    int line, column;
    Value value;
} Arg;

typedef struct Call {
    Token name;             /* the dotted name as written */
    const char *cls;        /* its last part: the class name */
    size_t cls_len;
    const char *end;        /* just past the closing ')' */
    Arg args[SPEC_MAX_ARGS];
    int count;
} Call;

/* Reads "( args )" after a layer's name, through the closing ')'. */
static Status parse_args(Parser *p, Call *c)
{
    Token open = p->tok;
    bool keywords = false;
    Status st;

    if ((st = advance(p)) != CS_OK)
        return st;
    for (;;) {
        Arg *a;
        if ((st = skip_newlines(p)) != CS_OK)
            return st;
        if (p->tok.kind == TOK_RPAREN)
            break;
        if (p->tok.kind == TOK_END)
            return fail_unclosed(p, &open);
        if (c->count == SPEC_MAX_ARGS)
            return fail_at(p, CS_ERR_SYNTAX, p->tok.line, p->tok.column,
                           "expected ')', found more than %d arguments", SPEC_MAX_ARGS);
        a = &c->args[c->count++];
        memset(a, 0, sizeof *a);
        a->line = p->tok.line;
        a->column = p->tok.column;
        if (p->tok.kind == TOK_NAME) {
            Token name = p->tok;
            if ((st = advance(p)) != CS_OK || (st = skip_newlines(p)) != CS_OK)
                return st;
            if (p->tok.kind == TOK_EQUALS) {
                a->name = name.start;
                a->name_len = name.len;
                if (memchr(name.start, '.', name.len))
                    return fail_expected(p, &name, "an argument name");
                if ((st = advance(p)) != CS_OK || (st = skip_newlines(p)) != CS_OK)
                    return st;
                if ((st = parse_value(p, &a->value, false)) != CS_OK)
                    return st;
            } else {
                a->value.line = name.line;
                a->value.column = name.column;
                a->value.raw = name.start;
                a->value.raw_len = name.len;
                value_from_name(&name, &a->value);
            }
        } else if ((st = parse_value(p, &a->value, false)) != CS_OK) {
            return st;
        }
        if (a->name) {
            keywords = true;
        } else if (keywords) {
            Token at = {0};
            at.kind = TOK_NAME;
            at.start = a->value.raw;
            at.len = a->value.raw_len;
            at.line = a->line;
            at.column = a->column;
            return fail_expected(p, &at, "a keyword argument (name=value) after keyword arguments");
        }
        if ((st = skip_newlines(p)) != CS_OK)
            return st;
        if (p->tok.kind == TOK_COMMA) {
            if ((st = advance(p)) != CS_OK)
                return st;
        } else if (p->tok.kind == TOK_END) {
            return fail_unclosed(p, &open);
        } else if (p->tok.kind != TOK_RPAREN) {
            return fail_expected(p, &p->tok, "',' or ')'");
        }
    }
    c->end = p->tok.start + p->tok.len;
    return advance(p);
}

/* Parameter names in PyTorch's positional order. */
static const char *const CONV_PARAMS[] = {
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
    "groups", "bias", "padding_mode", "device", "dtype", NULL};
static const char *const CONV_T_PARAMS[] = {
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
    "groups", "bias", "dilation", "padding_mode", "device", "dtype", NULL};
static const char *const MAXPOOL_PARAMS[] = {
    "kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode", NULL};
static const char *const AVGPOOL_PARAMS[] = {
    "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override",
    NULL};
static const char *const RELU_PARAMS[] = {"inplace", NULL};
static const char *const LEAKY_PARAMS[] = {"negative_slope", "inplace", NULL};
static const char *const NO_PARAMS[] = {NULL};
static const char *const BN_PARAMS[] = {
    "num_features", "eps", "momentum", "affine", "track_running_stats", "device", "dtype", NULL};
static const char *const DROPOUT_PARAMS[] = {"p", "inplace", NULL};
static const char *const ADAPTIVE_AVG_PARAMS[] = {"output_size", NULL};
static const char *const ADAPTIVE_MAX_PARAMS[] = {"output_size", "return_indices", NULL};
static const char *const FLATTEN_PARAMS[] = {"start_dim", "end_dim", NULL};
static const char *const LINEAR_PARAMS[] = {"in_features", "out_features", "bias", "device", "dtype",
                                            NULL};
static const char *const ELU_PARAMS[] = {"alpha", "inplace", NULL};
static const char *const GELU_PARAMS[] = {"approximate", NULL};
static const char *const SOFTMAX_PARAMS[] = {"dim", NULL};

typedef struct LayerInfo {
    const char *name;
    LayerType type;
    const char *const *params;  /* NULL: any arguments, all ignored (Identity) */
} LayerInfo;

static const LayerInfo LAYERS[] = {
    {"Conv2d", SPEC_CONV2D, CONV_PARAMS},
    {"ConvTranspose2d", SPEC_CONV_TRANSPOSE2D, CONV_T_PARAMS},
    {"MaxPool2d", SPEC_MAXPOOL2D, MAXPOOL_PARAMS},
    {"AvgPool2d", SPEC_AVGPOOL2D, AVGPOOL_PARAMS},
    {"ReLU", SPEC_RELU, RELU_PARAMS},
    {"LeakyReLU", SPEC_LEAKY_RELU, LEAKY_PARAMS},
    {"Sigmoid", SPEC_SIGMOID, NO_PARAMS},
    {"Tanh", SPEC_TANH, NO_PARAMS},
    {"Identity", SPEC_IDENTITY, NULL},
    {"BatchNorm2d", SPEC_BATCHNORM2D, BN_PARAMS},
    {"Dropout", SPEC_DROPOUT, DROPOUT_PARAMS},
    {"Dropout2d", SPEC_DROPOUT, DROPOUT_PARAMS},
    {"AdaptiveAvgPool2d", SPEC_ADAPTIVE_AVGPOOL2D, ADAPTIVE_AVG_PARAMS},
    {"AdaptiveMaxPool2d", SPEC_ADAPTIVE_MAXPOOL2D, ADAPTIVE_MAX_PARAMS},
    {"Flatten", SPEC_FLATTEN, FLATTEN_PARAMS},
    {"Linear", SPEC_LINEAR, LINEAR_PARAMS},
    {"ReLU6", SPEC_RELU6, RELU_PARAMS},
    {"ELU", SPEC_ELU, ELU_PARAMS},
    {"SiLU", SPEC_SILU, RELU_PARAMS},
    {"GELU", SPEC_GELU, GELU_PARAMS},
    {"Hardswish", SPEC_HARDSWISH, RELU_PARAMS},
    {"Softmax", SPEC_SOFTMAX, SOFTMAX_PARAMS},
    {"LogSoftmax", SPEC_LOGSOFTMAX, SOFTMAX_PARAMS},
};

#define LAYER_LIST "Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, " \
                   "AdaptiveMaxPool2d, BatchNorm2d, Dropout, Flatten, Linear, ReLU, ReLU6, " \
                   "LeakyReLU, ELU, Sigmoid, Tanh, SiLU, GELU, Hardswish, Softmax, LogSoftmax, " \
                   "Identity, Sequential"

/* Layers of real models that are not 2-D image layers. */
static const char *const REFUSED[] = {
    "Unflatten", "Conv1d", "Conv3d", "MaxPool1d", "MaxPool3d", "AvgPool1d", "AvgPool3d",
    "BatchNorm1d", "LSTM", "GRU", "RNN", "Embedding", "MultiheadAttention", "Transformer",
    NULL};

/* Blocks whose forward adds or joins branches (torchvision's names and a
 * few common ones): running their children in printed order would give
 * wrong numbers. */
static const char *const BRANCHED[] = {
    "BasicBlock", "Bottleneck", "InvertedResidual", "Fire", "Inception", "InceptionA",
    "InceptionB", "InceptionC", "InceptionD", "InceptionE", "InceptionAux", "_DenseBlock",
    "_DenseLayer", "SqueezeExcitation", "MBConv", "FusedMBConv", "ResidualBlock", "ResBlock",
    "SEBlock", NULL};

static bool name_is(const char *s, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(s, name, len) == 0;
}

typedef struct Bound {
    const LayerInfo *info;
    const Call *call;
    const Arg *slots[SPEC_MAX_ARGS];    /* indexed like info->params; NULL when absent */
} Bound;

/* Binds the call's arguments to the layer's parameters. */
static Status call_bind(Parser *p, const Call *c, const LayerInfo *info, Bound *b)
{
    int nparams = 0;

    memset(b, 0, sizeof *b);
    b->info = info;
    b->call = c;
    if (!info->params)
        return CS_OK;
    while (info->params[nparams])
        nparams++;
    for (int i = 0; i < c->count; i++) {
        const Arg *a = &c->args[i];
        int slot = -1;
        if (!a->name) {
            if (i >= nparams && nparams == 0)
                return fail_at(p, CS_ERR_SYNTAX, a->line, a->column,
                               "expected ')': %s takes no arguments, found %.*s", info->name,
                               a->value.raw_len > SPEC_SHOW ? SPEC_SHOW : (int)a->value.raw_len,
                               a->value.raw);
            if (i >= nparams)
                return fail_at(p, CS_ERR_SYNTAX, a->line, a->column,
                               "expected ')': %s takes at most %d positional argument%s, found %.*s",
                               info->name, nparams, nparams == 1 ? "" : "s",
                               a->value.raw_len > SPEC_SHOW ? SPEC_SHOW : (int)a->value.raw_len,
                               a->value.raw);
            slot = i;
        } else {
            for (int j = 0; j < nparams && slot < 0; j++)
                if (name_is(a->name, a->name_len, info->params[j]))
                    slot = j;
            if (slot < 0) {
                char list[200] = "";
                for (int j = 0; j < nparams; j++) {
                    strncat(list, j ? ", " : "", sizeof list - strlen(list) - 1);
                    strncat(list, info->params[j], sizeof list - strlen(list) - 1);
                }
                return fail_at(p, CS_ERR_SYNTAX, a->line, a->column,
                               "expected %s%s%s%s, found '%.*s'",
                               nparams ? "an argument of " : "no arguments for ", info->name,
                               nparams ? ": " : "", list,
                               a->name_len > SPEC_SHOW ? SPEC_SHOW : (int)a->name_len, a->name);
            }
        }
        if (b->slots[slot])
            return fail_at(p, CS_ERR_SYNTAX, a->line, a->column, "%s got %s twice", info->name,
                           info->params[slot]);
        b->slots[slot] = a;
    }
    return CS_OK;
}

static const Arg *bound_arg(const Bound *b, const char *name)
{
    for (int i = 0; b->info->params && b->info->params[i]; i++)
        if (strcmp(b->info->params[i], name) == 0)
            return b->slots[i];
    return NULL;
}

static int raw_show(const Value *v)
{
    return v->raw_len > SPEC_SHOW ? SPEC_SHOW : (int)v->raw_len;
}

/* "expected WHAT for Conv2d stride, found <value>" */
static Status fail_type(Parser *p, const Bound *b, const Arg *a, const char *name, const char *what)
{
    return fail_at(p, CS_ERR_SYNTAX, a->value.line, a->value.column,
                   "expected %s for %s %s, found %.*s", what, b->info->name, name,
                   raw_show(&a->value), a->value.raw);
}

static Status check_min(Parser *p, const Bound *b, const Arg *a, const char *name, long long v,
                        int min)
{
    if (v < min)
        return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                       "%s %s must be at least %d, got %.*s", b->info->name, name, min,
                       raw_show(&a->value), a->value.raw);
    if (a->value.big)
        return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                       "%s %s is too large (at most %d), got %.*s", b->info->name, name, INT_MAX,
                       raw_show(&a->value), a->value.raw);
    return CS_OK;
}

/* An integer argument (dflt when absent). */
static Status get_int(Parser *p, const Bound *b, const char *name, int min, int dflt, int *out)
{
    const Arg *a = bound_arg(b, name);
    Status st;
    *out = dflt;
    if (!a)
        return CS_OK;
    if (a->value.kind != VAL_INT)
        return fail_type(p, b, a, name, "an integer");
    if ((st = check_min(p, b, a, name, a->value.ival[0], min)) != CS_OK)
        return st;
    *out = (int)a->value.ival[0];
    return CS_OK;
}

/* An integer or an (h, w) pair; None (when allowed) or absence keeps dflt. */
static Status get_pair(Parser *p, const Bound *b, const char *name, int min, bool none_ok,
                       const int dflt[2], int out[2])
{
    const Arg *a = bound_arg(b, name);
    const Value *v;
    Status st;

    out[0] = dflt[0];
    out[1] = dflt[1];
    if (!a)
        return CS_OK;
    v = &a->value;
    if (v->kind == VAL_NONE && none_ok)
        return CS_OK;
    if (v->kind == VAL_INT) {
        out[0] = out[1] = (int)v->ival[0];
        return check_min(p, b, a, name, v->ival[0], min);
    }
    if (v->kind != VAL_TUPLE || !v->int_items)
        return fail_type(p, b, a, name, "an integer or a pair (h, w)");
    if (v->count != 2)
        return fail_at(p, CS_ERR_RANGE, v->line, v->column,
                       "%s %s must be one integer or a pair (h, w), got %d value%s", b->info->name,
                       name, v->count, v->count == 1 ? "" : "s");
    if ((st = check_min(p, b, a, name, v->ival[0] < v->ival[1] ? v->ival[0] : v->ival[1], min)) !=
        CS_OK)
        return st;
    out[0] = (int)v->ival[0];
    out[1] = (int)v->ival[1];
    return CS_OK;
}

static Status get_bool(Parser *p, const Bound *b, const char *name, bool dflt, bool *out)
{
    const Arg *a = bound_arg(b, name);
    *out = dflt;
    if (!a)
        return CS_OK;
    if (a->value.kind != VAL_BOOL)
        return fail_type(p, b, a, name, "True or False");
    *out = a->value.bval;
    return CS_OK;
}

/* A real number; *given tells whether the argument was there. */
static Status get_number(Parser *p, const Bound *b, const char *name, bool none_ok, double *out,
                         bool *given)
{
    const Arg *a = bound_arg(b, name);
    *given = false;
    if (!a || (none_ok && a->value.kind == VAL_NONE))
        return CS_OK;
    if (a->value.kind != VAL_INT && a->value.kind != VAL_FLOAT)
        return fail_type(p, b, a, name, none_ok ? "a number or None" : "a number");
    if (!isfinite(a->value.fval) || fabs(a->value.fval) > 1e30)
        return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                       "%s %s is too large, got %.*s", b->info->name, name, raw_show(&a->value),
                       a->value.raw);
    *out = a->value.fval;
    *given = true;
    return CS_OK;
}

/* A word, quoted or bare ('same' or same), copied into buf; "" when absent. */
static Status get_word(Parser *p, const Bound *b, const char *name, const char *what, char *buf,
                       size_t size, const Arg **arg)
{
    const Arg *a = bound_arg(b, name);
    *arg = a;
    buf[0] = '\0';
    if (!a)
        return CS_OK;
    if (a->value.kind != VAL_WORD && a->value.kind != VAL_STRING)
        return fail_type(p, b, a, name, what);
    if (a->value.text_len >= size)
        return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                       "%s %s must be %s, got %.*s", b->info->name, name, what,
                       raw_show(&a->value), a->value.raw);
    memcpy(buf, a->value.text, a->value.text_len);
    buf[a->value.text_len] = '\0';
    return CS_OK;
}

/* ---- building layers ---- */

static Status build_conv(Parser *p, const Bound *b, LayerSpec *l)
{
    bool transposed = l->type == SPEC_CONV_TRANSPOSE2D;
    static const int zero[2] = {0, 0}, one[2] = {1, 1};
    int kernel[2], stride[2], pad[2], dil[2], op[2] = {0, 0};
    char word[16];
    const Arg *a;
    Status st;

    l->conv = geom_conv_defaults();
    l->conv.transposed = transposed;
    if ((st = get_int(p, b, "in_channels", 1, 0, &l->in_channels)) != CS_OK ||
        (st = get_int(p, b, "out_channels", 1, 0, &l->out_channels)) != CS_OK ||
        (st = get_pair(p, b, "kernel_size", 1, false, zero, kernel)) != CS_OK ||
        (st = get_pair(p, b, "stride", 1, false, one, stride)) != CS_OK ||
        (st = get_pair(p, b, "dilation", 1, false, one, dil)) != CS_OK ||
        (st = get_int(p, b, "groups", 1, 1, &l->conv.groups)) != CS_OK ||
        (st = get_bool(p, b, "bias", true, &l->bias)) != CS_OK)
        return st;
    if (transposed && (st = get_pair(p, b, "output_padding", 0, false, zero, op)) != CS_OK)
        return st;
    static const char *const required[] = {"in_channels", "out_channels", "kernel_size"};
    for (int i = 0; i < 3; i++)
        if (!bound_arg(b, required[i]))
            return fail_at(p, CS_ERR_SYNTAX, l->line, l->column, "%s is missing %s",
                           b->info->name, required[i]);

    /* padding: a number, a pair, or one of the words */
    a = bound_arg(b, "padding");
    if (a && (a->value.kind == VAL_WORD || a->value.kind == VAL_STRING)) {
        const char *what = transposed ? "an integer or a pair (h, w)"
                                      : "an integer, a pair (h, w), 'valid', 'same' or 'full'";
        if ((st = get_word(p, b, "padding", what, word, sizeof word, &a)) != CS_OK)
            return st;
        if (!transposed && strcmp(word, "valid") == 0)
            l->conv.padding.kind = PAD_VALID;
        else if (!transposed && strcmp(word, "same") == 0)
            l->conv.padding.kind = PAD_SAME;
        else if (!transposed && strcmp(word, "full") == 0)
            l->conv.padding.kind = PAD_FULL;
        else
            return fail_type(p, b, a, "padding", what);
    } else {
        if (a && a->value.kind != VAL_INT && a->value.kind != VAL_TUPLE)
            return fail_type(p, b, a, "padding",
                             transposed ? "an integer or a pair (h, w)"
                                        : "an integer, a pair (h, w), 'valid', 'same' or 'full'");
        if ((st = get_pair(p, b, "padding", 0, false, zero, pad)) != CS_OK)
            return st;
        l->conv.padding.kind = PAD_EXPLICIT;
        l->conv.padding.h = pad[0];
        l->conv.padding.w = pad[1];
    }
    if ((st = get_word(p, b, "padding_mode", "'zeros', 'reflect', 'replicate' or 'circular'",
                       word, sizeof word, &a)) != CS_OK)
        return st;
    if (a) {
        if (!geom_pad_mode_parse(word, &l->conv.pad_mode))
            return fail_type(p, b, a, "padding_mode",
                             "'zeros', 'reflect', 'replicate' or 'circular'");
        if (transposed && l->conv.pad_mode != PADMODE_ZEROS)
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "ConvTranspose2d supports only padding_mode 'zeros', got %.*s",
                           raw_show(&a->value), a->value.raw);
    }

    l->kernel_h = kernel[0];
    l->kernel_w = kernel[1];
    l->conv.stride_h = stride[0];
    l->conv.stride_w = stride[1];
    l->conv.dilation_h = dil[0];
    l->conv.dilation_w = dil[1];
    l->conv.output_padding_h = op[0];
    l->conv.output_padding_w = op[1];
    if (l->in_channels % l->conv.groups != 0 || l->out_channels % l->conv.groups != 0) {
        a = bound_arg(b, "groups");
        return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                       "%s groups %d must divide both in_channels %d and out_channels %d",
                       b->info->name, l->conv.groups, l->in_channels, l->out_channels);
    }
    for (int i = 0; i < 2 && transposed; i++)
        if (op[i] >= stride[i] && op[i] >= dil[i]) {
            a = bound_arg(b, "output_padding");
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "ConvTranspose2d output_padding must be smaller than stride or "
                           "dilation, got %d with stride %d and dilation %d",
                           op[i], stride[i], dil[i]);
        }
    return CS_OK;
}

static Status build_pool(Parser *p, const Bound *b, LayerSpec *l)
{
    bool max = l->type == SPEC_MAXPOOL2D;
    static const int zero[2] = {0, 0}, one[2] = {1, 1};
    int kernel[2], stride[2], pad[2], dil[2] = {1, 1};
    bool flag;
    double divisor;
    Status st;

    if ((st = get_pair(p, b, "kernel_size", 1, false, zero, kernel)) != CS_OK)
        return st;
    if (!bound_arg(b, "kernel_size"))
        return fail_at(p, CS_ERR_SYNTAX, l->line, l->column, "%s is missing kernel_size",
                       b->info->name);
    if ((st = get_pair(p, b, "stride", 1, true, kernel, stride)) != CS_OK ||
        (st = get_pair(p, b, "padding", 0, false, zero, pad)) != CS_OK)
        return st;
    l->pool = geom_pool_defaults(max ? POOL_MAX : POOL_AVG, kernel[0], kernel[1]);
    if (max) {
        if ((st = get_pair(p, b, "dilation", 1, false, one, dil)) != CS_OK ||
            (st = get_bool(p, b, "return_indices", false, &flag)) != CS_OK)
            return st;
        if (flag) {
            const Arg *a = bound_arg(b, "return_indices");
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "MaxPool2d return_indices=True is not supported: the next layer "
                           "would receive a pair");
        }
    } else {
        if ((st = get_bool(p, b, "count_include_pad", true, &l->pool.count_include_pad)) != CS_OK ||
            (st = get_number(p, b, "divisor_override", true, &divisor, &flag)) != CS_OK)
            return st;
        if (flag) {
            const Arg *a = bound_arg(b, "divisor_override");
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "AvgPool2d divisor_override is not supported (only None), got %.*s",
                           raw_show(&a->value), a->value.raw);
        }
    }
    if ((st = get_bool(p, b, "ceil_mode", false, &l->pool.ceil_mode)) != CS_OK)
        return st;
    for (int i = 0; i < 2; i++)
        if (pad[i] > kernel[i] / 2) {
            const Arg *a = bound_arg(b, "padding");
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "%s padding must be at most half the kernel size (%d), got %.*s",
                           b->info->name, kernel[i] / 2, raw_show(&a->value), a->value.raw);
        }
    l->kernel_h = kernel[0];
    l->kernel_w = kernel[1];
    l->pool.stride_h = stride[0];
    l->pool.stride_w = stride[1];
    l->pool.pad_h = pad[0];
    l->pool.pad_w = pad[1];
    l->pool.dilation_h = dil[0];
    l->pool.dilation_w = dil[1];
    return CS_OK;
}

/* An adaptive pool's output_size: an integer, or a pair whose items may be
 * None (0 here: that axis keeps the input's size). */
static Status get_output_size(Parser *p, const Bound *b, LayerSpec *l)
{
    const Arg *a = bound_arg(b, "output_size");
    const Value *v;
    int out[2] = {0, 0};
    Status st;

    if (!a)
        return fail_at(p, CS_ERR_SYNTAX, l->line, l->column, "%s is missing output_size",
                       b->info->name);
    v = &a->value;
    if (v->kind == VAL_INT) {
        if ((st = check_min(p, b, a, "output_size", v->ival[0], 1)) != CS_OK)
            return st;
        out[0] = out[1] = (int)v->ival[0];
    } else if (v->kind == VAL_TUPLE && v->count == 2) {
        for (int i = 0; i < 2; i++) {
            if (v->item_kind[i] == VAL_NONE)
                continue;
            if (v->item_kind[i] != VAL_INT)
                return fail_type(p, b, a, "output_size", "an integer or a pair (h, w) of integers or None");
            if ((st = check_min(p, b, a, "output_size", v->ival[i], 1)) != CS_OK)
                return st;
            out[i] = (int)v->ival[i];
        }
    } else if (v->kind != VAL_NONE) {
        return fail_type(p, b, a, "output_size", "an integer or a pair (h, w) of integers or None");
    }
    l->adaptive_h = out[0];
    l->adaptive_w = out[1];
    return CS_OK;
}

static Status build_other(Parser *p, const Bound *b, LayerSpec *l)
{
    bool flag, given;
    double x = 0.0;
    char word[16];
    const Arg *a;
    Status st = CS_OK;

    switch (l->type) {
    case SPEC_RELU:
        l->act.kind = ACT_RELU;
        return get_bool(p, b, "inplace", false, &flag);
    case SPEC_LEAKY_RELU:
        l->act.kind = ACT_LEAKY_RELU;
        l->act.slope = 0.01f;
        if ((st = get_number(p, b, "negative_slope", false, &x, &given)) != CS_OK ||
            (st = get_bool(p, b, "inplace", false, &flag)) != CS_OK)
            return st;
        if (given)
            l->act.slope = (float)x;
        return CS_OK;
    case SPEC_SIGMOID:
        l->act.kind = ACT_SIGMOID;
        return CS_OK;
    case SPEC_TANH:
        l->act.kind = ACT_TANH;
        return CS_OK;
    case SPEC_BATCHNORM2D:
        l->eps = 1e-5f;
        l->momentum = 0.1f;
        if ((st = get_int(p, b, "num_features", 1, 0, &l->in_channels)) != CS_OK ||
            (st = get_number(p, b, "eps", false, &x, &given)) != CS_OK)
            return st;
        if (given && !(x > 0.0)) {
            a = bound_arg(b, "eps");
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "BatchNorm2d eps must be above 0, got %.*s", raw_show(&a->value), a->value.raw);
        }
        if (given)
            l->eps = (float)x;
        if ((st = get_number(p, b, "momentum", true, &x, &given)) != CS_OK)
            return st;
        if (given && !(x >= 0.0 && x <= 1.0)) {
            a = bound_arg(b, "momentum");
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "BatchNorm2d momentum must be between 0 and 1, got %.*s", raw_show(&a->value),
                           a->value.raw);
        }
        if (given)
            l->momentum = (float)x;
        else if ((a = bound_arg(b, "momentum")) && a->value.kind == VAL_NONE)
            l->momentum = -1.0f;
        if ((st = get_bool(p, b, "affine", true, &l->bias)) != CS_OK ||
            (st = get_bool(p, b, "track_running_stats", true, &flag)) != CS_OK)
            return st;
        l->batch_stats = !flag;
        if (!bound_arg(b, "num_features"))
            return fail_at(p, CS_ERR_SYNTAX, l->line, l->column, "BatchNorm2d is missing num_features");
        l->out_channels = l->in_channels;
        return CS_OK;
    case SPEC_DROPOUT:
        l->dropout_p = 0.5f;
        l->dropout_planes = strcmp(b->info->name, "Dropout2d") == 0;
        if ((st = get_number(p, b, "p", false, &x, &given)) != CS_OK ||
            (st = get_bool(p, b, "inplace", false, &flag)) != CS_OK)
            return st;
        if (given && (x < 0.0 || x > 1.0)) {
            a = bound_arg(b, "p");
            return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                           "%s p must be between 0 and 1, got %.*s", b->info->name,
                           raw_show(&a->value), a->value.raw);
        }
        if (given)
            l->dropout_p = (float)x;
        return CS_OK;
    case SPEC_ADAPTIVE_AVGPOOL2D:
    case SPEC_ADAPTIVE_MAXPOOL2D:
        if ((st = get_output_size(p, b, l)) != CS_OK)
            return st;
        if (l->type == SPEC_ADAPTIVE_MAXPOOL2D) {
            if ((st = get_bool(p, b, "return_indices", false, &flag)) != CS_OK)
                return st;
            if (flag) {
                a = bound_arg(b, "return_indices");
                return fail_at(p, CS_ERR_RANGE, a->value.line, a->value.column,
                               "AdaptiveMaxPool2d return_indices=True is not supported: the next "
                               "layer would receive a pair");
            }
        }
        return CS_OK;
    case SPEC_FLATTEN:
        if ((st = get_int(p, b, "start_dim", -4, 1, &l->start_dim)) != CS_OK ||
            (st = get_int(p, b, "end_dim", -4, -1, &l->end_dim)) != CS_OK)
            return st;
        return CS_OK;
    case SPEC_LINEAR:
        if ((st = get_int(p, b, "in_features", 1, 0, &l->in_channels)) != CS_OK ||
            (st = get_int(p, b, "out_features", 1, 0, &l->out_channels)) != CS_OK ||
            (st = get_bool(p, b, "bias", true, &l->bias)) != CS_OK)
            return st;
        if (!bound_arg(b, "in_features"))
            return fail_at(p, CS_ERR_SYNTAX, l->line, l->column, "Linear is missing in_features");
        if (!bound_arg(b, "out_features"))
            return fail_at(p, CS_ERR_SYNTAX, l->line, l->column, "Linear is missing out_features");
        return CS_OK;
    case SPEC_RELU6:
    case SPEC_SILU:
    case SPEC_HARDSWISH:
        l->act.kind = l->type == SPEC_RELU6 ? ACT_RELU6 : l->type == SPEC_SILU ? ACT_SILU : ACT_HARDSWISH;
        return get_bool(p, b, "inplace", false, &flag);
    case SPEC_ELU:
        l->act.kind = ACT_ELU;
        l->act.slope = 1.0f;
        if ((st = get_number(p, b, "alpha", false, &x, &given)) != CS_OK ||
            (st = get_bool(p, b, "inplace", false, &flag)) != CS_OK)
            return st;
        if (given)
            l->act.slope = (float)x;
        return CS_OK;
    case SPEC_GELU:
        l->act.kind = ACT_GELU;
        if ((st = get_word(p, b, "approximate", "'none' or 'tanh'", word, sizeof word, &a)) != CS_OK)
            return st;
        if (a && strcmp(word, "tanh") == 0)
            l->act.kind = ACT_GELU_TANH;
        else if (a && strcmp(word, "none") != 0)
            return fail_type(p, b, a, "approximate", "'none' or 'tanh'");
        return CS_OK;
    case SPEC_SOFTMAX:
    case SPEC_LOGSOFTMAX:
        a = bound_arg(b, "dim");
        l->dim_none = !a || a->value.kind == VAL_NONE;
        l->dim = 1;
        if (!l->dim_none)
            return get_int(p, b, "dim", -4, 1, &l->dim);
        return CS_OK;
    default:
        return CS_OK;
    }
}

/* The call as written, with comments dropped and white space collapsed:
 * none after '(' or '[' or before ')', ']' or ',', one space elsewhere. */
static void layer_text(const char *s, const char *end, char *buf, size_t size)
{
    size_t n = 0;
    bool space = false;
    char quote = 0;

    while (s < end && n + 1 < size) {
        char c = *s++;
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && s < end && n + 2 < size)
                buf[n++] = *s++;
        } else if (c == '#') {
            while (s < end && *s != '\n')
                s++;
            continue;
        } else if (is_space(c) || c == '\n' || c == '\\') {
            space = true;
            continue;
        } else if (c == '\'' || c == '"') {
            quote = c;
        }
        if (space && n > 0 && buf[n - 1] != '(' && buf[n - 1] != '[' && c != ')' && c != ']' &&
            c != ',' && n + 2 < size)
            buf[n++] = ' ';
        space = false;
        buf[n++] = c;
    }
    buf[n] = '\0';
    if (s < end && size > 4) {
        size_t cut = size - 4;
        while (cut > 0 && ((unsigned char)buf[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(buf + cut, "...", 4);
    }
}

static Status stack_push(Parser *p, const LayerSpec *l)
{
    if (p->out->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        LayerSpec *grown;
        if (cap > SIZE_MAX / sizeof *grown)
            return fail_at(p, CS_ERR_NOMEM, l->line, l->column, "too many layers");
        grown = realloc(p->out->layers, cap * sizeof *grown);
        if (!grown)
            return fail_at(p, CS_ERR_NOMEM, l->line, l->column,
                           "out of memory for %zu layers", cap);
        p->out->layers = grown;
        p->cap = cap;
    }
    p->out->layers[p->out->count++] = *l;
    return CS_OK;
}

static Status parse_list(Parser *p, const Token *open);

/* Whether the '(' at the current token opens a module as print(model)
 * writes it: its first entry is a label such as "(features):". */
static bool printed_container(const Parser *p)
{
    const char *s = p->src + p->pos;
    while (is_space(*s) || *s == '\n')
        s++;
    if (*s != '(')
        return false;
    s++;
    while (is_alpha(*s) || is_digit(*s))
        s++;
    return s[0] == ')' && s[1] == ':';
}

/* An item's key: its label, OrderedDict name or assigned attribute (text,
 * len), or none (text NULL: its position names it). */
typedef struct Key {
    const char *text;
    size_t len;
    size_t index;           /* the position in its list */
} Key;

static Status parse_item(Parser *p, Key key);

/* Expects a token of kind k (described as what), then moves past it and any
 * new lines after it. */
static Status expect_skip(Parser *p, TokKind k, const char *what)
{
    Status st;
    if (p->tok.kind != k)
        return fail_expected(p, &p->tok, what);
    if ((st = advance(p)) != CS_OK)
        return st;
    return skip_newlines(p);
}

/* The body of OrderedDict([('name', layer), ...]) as PyTorch's Sequential
 * documentation writes it, up to the ')' that closes open. */
static Status parse_dict(Parser *p, const Token *open)
{
    Token bracket;
    Status st;
    size_t index = 0;

    if ((st = skip_newlines(p)) != CS_OK)
        return st;
    bracket = p->tok;
    if ((st = expect_skip(p, TOK_LBRACKET, "'[' (a list of (name, layer) pairs)")) != CS_OK)
        return st;
    while (p->tok.kind != TOK_RBRACKET) {
        Key key = {NULL, 0, index++};
        if (p->tok.kind == TOK_END)
            return fail_unclosed(p, &bracket);
        if ((st = expect_skip(p, TOK_LPAREN, "'(' starting a (name, layer) pair")) != CS_OK)
            return st;
        if (p->tok.kind == TOK_STRING) {
            key.text = p->tok.start + 1;
            key.len = p->tok.len - 2;
        }
        if ((st = expect_skip(p, TOK_STRING, "a quoted layer name")) != CS_OK ||
            (st = expect_skip(p, TOK_COMMA, "',' after the layer name")) != CS_OK ||
            (st = parse_item(p, key)) != CS_OK || (st = skip_newlines(p)) != CS_OK ||
            (st = expect_skip(p, TOK_RPAREN, "')' closing the (name, layer) pair")) != CS_OK)
            return st;
        if (p->tok.kind == TOK_COMMA) {
            if ((st = advance(p)) != CS_OK || (st = skip_newlines(p)) != CS_OK)
                return st;
        } else if (p->tok.kind != TOK_RBRACKET && p->tok.kind != TOK_END) {
            return fail_expected(p, &p->tok, "',' or ']'");
        }
    }
    if ((st = advance(p)) != CS_OK || (st = skip_newlines(p)) != CS_OK)
        return st;
    if (p->tok.kind == TOK_END)
        return fail_unclosed(p, open);
    if (p->tok.kind != TOK_RPAREN)
        return fail_expected(p, &p->tok, "')'");
    return CS_OK;
}

/* ---- names ---- */

/* Writes path + "." + key (the key, or its position) into buf. */
static Status key_join(Parser *p, const Token *at, Key key, char *buf)
{
    char index[24];
    const char *k = key.text;
    size_t len = key.len, used = strlen(p->path);
    if (!k) {
        snprintf(index, sizeof index, "%zu", key.index);
        k = index;
        len = strlen(index);
    }
    if (used + (used ? 1 : 0) + len + 1 > SPEC_NAME_SIZE)
        return fail_at(p, CS_ERR_LIMIT, at->line, at->column,
                       "the module name %s%s%.*s is longer than %d characters", p->path,
                       used ? "." : "", len > SPEC_SHOW ? SPEC_SHOW : (int)len, k, SPEC_NAME_SIZE - 1);
    memcpy(buf, p->path, used);
    if (used)
        buf[used++] = '.';
    memcpy(buf + used, k, len);
    buf[used + len] = '\0';
    return CS_OK;
}

/* Whether name is one of the classes in list. */
static const char *name_in(const char *s, size_t len, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (name_is(s, len, list[i]))
            return list[i];
    return NULL;
}

/* The children of a container up to its ')' (left as the current token),
 * named under key; then the ')' is passed. */
static Status parse_container(Parser *p, const Call *call, Key key, bool dict)
{
    char saved[SPEC_NAME_SIZE];
    Token open = p->tok;
    Status st;

    if (p->depth >= SPEC_MAX_DEPTH)
        return fail_at(p, CS_ERR_LIMIT, call->name.line, call->name.column,
                       "%.*s is nested more than %d levels deep", (int)call->cls_len, call->cls,
                       SPEC_MAX_DEPTH);
    memcpy(saved, p->path, sizeof saved);
    /* an OrderedDict is Sequential's argument, not a module: no level */
    if (!dict && (st = key_join(p, &call->name, key, p->path)) != CS_OK)
        return st;
    p->depth++;
    if ((st = advance(p)) != CS_OK || (st = skip_newlines(p)) != CS_OK)
        return st;
    if (p->tok.kind == TOK_STAR)
        return fail_at(p, CS_ERR_SYNTAX, p->tok.line, p->tok.column,
                       "%.*s(*...) builds its layers in code that convstep does not run: write the "
                       "layers out, as in nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU())",
                       call->name.len > SPEC_SHOW ? SPEC_SHOW : (int)call->name.len, call->name.start);
    if ((st = dict ? parse_dict(p, &open) : parse_list(p, &open)) != CS_OK)
        return st;
    p->depth--;
    memcpy(p->path, saved, sizeof saved);
    return advance(p);
}

/* BasicConv2d (GoogLeNet, Inception v3) prints conv and bn, and its
 * forward ends with F.relu: the ReLU that print(model) does not show. */
static Status push_forward_relu(Parser *p, const Call *call, Key key)
{
    LayerSpec layer;
    Status st;
    memset(&layer, 0, sizeof layer);
    layer.type = SPEC_RELU;
    layer.act.kind = ACT_RELU;
    layer.line = call->name.line;
    layer.column = call->name.column;
    snprintf(layer.text, sizeof layer.text, "ReLU() (F.relu in %.*s's forward)", (int)call->cls_len,
             call->cls);
    if ((st = key_join(p, &call->name, key, layer.name)) != CS_OK)
        return st;
    if (strlen(layer.name) + 6 > SPEC_NAME_SIZE)
        return fail_at(p, CS_ERR_LIMIT, call->name.line, call->name.column,
                       "the module name %s.relu is longer than %d characters", layer.name,
                       SPEC_NAME_SIZE - 1);
    strcat(layer.name, ".relu");
    return stack_push(p, &layer);
}

/* One layer (or a container of layers) after any label or assignment. */
static Status parse_call(Parser *p, const Token *name, Key key)
{
    const char *dot = name->start + name->len;
    const LayerInfo *info = NULL;
    const char *which;
    Call call;
    Bound bound;
    LayerSpec layer;
    Status st;

    while (dot > name->start && dot[-1] != '.')
        dot--;
    memset(&call, 0, sizeof call);
    call.name = *name;
    call.cls = dot;
    call.cls_len = (size_t)(name->start + name->len - dot);

    if ((which = name_in(call.cls, call.cls_len, BRANCHED)) != NULL)
        return fail_at(p, CS_ERR_SYNTAX, name->line, name->column,
                       "%s is not supported: its forward adds or joins branches, which a stack of "
                       "layers cannot run; export the model to ONNX (torch.onnx.export) instead",
                       which);
    if (name_is(call.cls, call.cls_len, "Sequential") ||
        name_is(call.cls, call.cls_len, "OrderedDict")) {
        if (p->depth == 0)
            p->top_is_model = key.text == NULL && call.cls[0] == 'S';
        return parse_container(p, &call, key, call.cls[0] == 'O');
    }
    for (size_t i = 0; i < sizeof LAYERS / sizeof LAYERS[0] && !info; i++)
        if (name_is(call.cls, call.cls_len, LAYERS[i].name))
            info = &LAYERS[i];
    if (!info) {
        if ((which = name_in(call.cls, call.cls_len, REFUSED)) != NULL)
            return fail_at(p, CS_ERR_SYNTAX, name->line, name->column,
                           "%s is not supported: convstep runs networks of 2-D image layers "
                           "(Conv2d, pooling, BatchNorm2d, Linear, activations)",
                           which);
        if (printed_container(p)) {
            /* a printed module of any class: its children in printed order */
            if (p->depth == 0)
                p->top_is_model = key.text == NULL;
            if ((st = parse_container(p, &call, key, false)) != CS_OK)
                return st;
            if (name_is(call.cls, call.cls_len, "BasicConv2d"))
                return push_forward_relu(p, &call, key);
            return CS_OK;
        }
        return fail_expected(p, name, "a layer (" LAYER_LIST ")");
    }

    if ((st = parse_args(p, &call)) != CS_OK)
        return st;
    memset(&layer, 0, sizeof layer);
    layer.type = info->type;
    layer.line = name->line;
    layer.column = name->column;
    layer_text(name->start, call.end, layer.text, sizeof layer.text);
    if ((st = key_join(p, name, key, layer.name)) != CS_OK ||
        (st = call_bind(p, &call, info, &bound)) != CS_OK)
        return st;
    if (info->type == SPEC_CONV2D || info->type == SPEC_CONV_TRANSPOSE2D)
        st = build_conv(p, &bound, &layer);
    else if (info->type == SPEC_MAXPOOL2D || info->type == SPEC_AVGPOOL2D)
        st = build_pool(p, &bound, &layer);
    else
        st = build_other(p, &bound, &layer);
    if (st != CS_OK)
        return st;
    if (p->depth == 0)
        p->top_is_model = false;
    return stack_push(p, &layer);
}

/* [ '(' label ')' ':' ] [ name '=' ] call. A label or a "self.NAME ="
 * assignment names the item; a plain "model =" does not. */
static Status parse_item(Parser *p, Key key)
{
    Token name;
    Status st;

    if (p->tok.kind == TOK_LPAREN) {
        if ((st = advance(p)) != CS_OK)
            return st;
        if (p->tok.kind != TOK_NAME && p->tok.kind != TOK_INT)
            return fail_expected(p, &p->tok, "a label such as (0) or (conv1)");
        key.text = p->tok.start;
        key.len = p->tok.len;
        if ((st = advance(p)) != CS_OK)
            return st;
        if (p->tok.kind != TOK_RPAREN)
            return fail_expected(p, &p->tok, "')' after the label");
        if ((st = advance(p)) != CS_OK)
            return st;
        if (p->tok.kind != TOK_COLON)
            return fail_expected(p, &p->tok, "':' after the label");
        if ((st = advance(p)) != CS_OK)
            return st;
    }
    if (p->tok.kind != TOK_NAME)
        return fail_expected(p, &p->tok, "a layer");
    name = p->tok;
    if ((st = advance(p)) != CS_OK)
        return st;
    if (p->tok.kind == TOK_EQUALS) {
        const char *dot = memchr(name.start, '.', name.len);
        if (dot && !key.text) {
            /* self.features = ...: the attribute names the module */
            key.text = dot + 1;
            key.len = (size_t)(name.start + name.len - key.text);
        }
        if ((st = advance(p)) != CS_OK)
            return st;
        if (p->tok.kind != TOK_NAME)
            return fail_expected(p, &p->tok, "a layer after '='");
        name = p->tok;
        if ((st = advance(p)) != CS_OK)
            return st;
    }
    if (p->tok.kind != TOK_LPAREN) {
        char what[80];
        snprintf(what, sizeof what, "'(' after %.*s", name.len > SPEC_SHOW ? SPEC_SHOW : (int)name.len,
                 name.start);
        return fail_expected(p, &p->tok, what);
    }
    return parse_call(p, &name, key);
}

static bool is_separator(TokKind k)
{
    return k == TOK_COMMA || k == TOK_SEMI || k == TOK_NEWLINE;
}

/* At the top level of a .py file: an import line or a print(...) call,
 * skipped whole (through the end of its line, brackets balanced).
 * *skipped tells whether there was one. */
static Status skip_python_line(Parser *p, bool *skipped)
{
    bool import = p->tok.kind == TOK_NAME && (name_is(p->tok.start, p->tok.len, "import") ||
                                              name_is(p->tok.start, p->tok.len, "from"));
    bool print = p->tok.kind == TOK_NAME && name_is(p->tok.start, p->tok.len, "print");
    int depth = 0;
    Status st;

    *skipped = false;
    if (!import && !print)
        return CS_OK;
    if (print) {
        /* only print(...): a call, nothing after it on the line */
        const char *s = p->src + p->pos;
        while (is_space(*s))
            s++;
        if (*s != '(')
            return CS_OK;
    }
    *skipped = true;
    while (p->tok.kind != TOK_END && !(depth == 0 && p->tok.kind == TOK_NEWLINE)) {
        if (p->tok.kind == TOK_LPAREN || p->tok.kind == TOK_LBRACKET)
            depth++;
        else if ((p->tok.kind == TOK_RPAREN || p->tok.kind == TOK_RBRACKET) && depth > 0)
            depth--;
        if ((st = advance(p)) != CS_OK)
            return st;
    }
    return CS_OK;
}

/* Layers up to the end of input (open == NULL) or up to the ')' that closes
 * open, which is left as the current token. */
static Status parse_list(Parser *p, const Token *open)
{
    size_t index = 0;
    Status st;
    for (;;) {
        bool skipped = false;
        while (is_separator(p->tok.kind))
            if ((st = advance(p)) != CS_OK)
                return st;
        if (p->tok.kind == TOK_END)
            return open ? fail_unclosed(p, open) : CS_OK;
        if (p->tok.kind == TOK_RPAREN && open)
            return CS_OK;
        if (!open && (st = skip_python_line(p, &skipped)) != CS_OK)
            return st;
        if (skipped)
            continue;
        Key key = {NULL, 0, index++};
        if (!open)
            p->top_items++;
        if ((st = parse_item(p, key)) != CS_OK)
            return st;
        if (!is_separator(p->tok.kind) && p->tok.kind != TOK_END &&
            !(p->tok.kind == TOK_RPAREN && open))
            return fail_expected(p, &p->tok, open ? "',', ';', a new line or ')' after a layer"
                                                  : "',', ';' or a new line after a layer");
    }
}

/* ---- public ---- */

Status spec_parse(const char *text, LayerStack *out, Error *err)
{
    Parser p;
    Status st;

    memset(&p, 0, sizeof p);
    /* a byte-order mark, as some editors save UTF-8 */
    p.src = strncmp(text, "\xEF\xBB\xBF", 3) == 0 ? text + 3 : text;
    p.line = p.column = 1;
    p.out = out;
    p.err = err;
    out->layers = NULL;
    out->count = 0;
    st = lex_next(&p, &p.tok);
    if (st == CS_OK)
        st = parse_list(&p, NULL);
    if (st == CS_OK && out->count == 0)
        st = fail_expected(&p, &p.tok, "a layer (" LAYER_LIST ")");
    if (st == CS_OK && p.top_items == 1 && p.top_is_model) {
        /* the text is one unlabelled container: the model itself, whose
           children are named from the top ("0", "features.0") */
        for (size_t i = 0; i < out->count; i++) {
            char *name = out->layers[i].name;
            if (strncmp(name, "0.", 2) == 0)
                memmove(name, name + 2, strlen(name + 2) + 1);
        }
    }
    if (st != CS_OK && st != CS_ERR_NOMEM) {
        /* code that builds its layers (layers = [], a loop, then
           nn.Sequential(*layers)) fails on its first line of Python: say
           what would work instead */
        const char *star = strstr(p.src, "Sequential(*");
        if (star && (star == p.src || !is_alpha(star[-1]) || star[-1] == '.')) {
            int line = 1, column = 1;
            for (const char *c = p.src; c < star + 11; c++) {
                if (*c == '\n') {
                    line++;
                    column = 1;
                } else if (((unsigned char)*c & 0xC0) != 0x80) {
                    column++;
                }
            }
            st = error_set(err, CS_ERR_SYNTAX, "line %d, column %d: nn.Sequential(*...) builds its layers in "
                           "code that convstep does not run: write the layers out, as in "
                           "nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU())", line, column);
        }
    }
    if (st != CS_OK)
        spec_free(out);
    return st;
}

void spec_free(LayerStack *stack)
{
    free(stack->layers);
    stack->layers = NULL;
    stack->count = 0;
}

const char *spec_type_name(LayerType type)
{
    switch (type) {
    case SPEC_CONV2D: return "Conv2d";
    case SPEC_CONV_TRANSPOSE2D: return "ConvTranspose2d";
    case SPEC_MAXPOOL2D: return "MaxPool2d";
    case SPEC_AVGPOOL2D: return "AvgPool2d";
    case SPEC_RELU: return "ReLU";
    case SPEC_LEAKY_RELU: return "LeakyReLU";
    case SPEC_SIGMOID: return "Sigmoid";
    case SPEC_TANH: return "Tanh";
    case SPEC_IDENTITY: return "Identity";
    case SPEC_BATCHNORM2D: return "BatchNorm2d";
    case SPEC_DROPOUT: return "Dropout";
    case SPEC_ADAPTIVE_AVGPOOL2D: return "AdaptiveAvgPool2d";
    case SPEC_ADAPTIVE_MAXPOOL2D: return "AdaptiveMaxPool2d";
    case SPEC_FLATTEN: return "Flatten";
    case SPEC_LINEAR: return "Linear";
    case SPEC_RELU6: return "ReLU6";
    case SPEC_ELU: return "ELU";
    case SPEC_SILU: return "SiLU";
    case SPEC_GELU: return "GELU";
    case SPEC_HARDSWISH: return "Hardswish";
    case SPEC_SOFTMAX: return "Softmax";
    case SPEC_LOGSOFTMAX: return "LogSoftmax";
    }
    return "unknown";
}

bool spec_is_spatial(const LayerSpec *layer)
{
    return layer->type == SPEC_CONV2D || layer->type == SPEC_CONV_TRANSPOSE2D ||
           layer->type == SPEC_MAXPOOL2D || layer->type == SPEC_AVGPOOL2D ||
           layer->type == SPEC_ADAPTIVE_AVGPOOL2D || layer->type == SPEC_ADAPTIVE_MAXPOOL2D;
}

bool spec_is_activation(const LayerSpec *layer)
{
    return layer->act.kind != ACT_NONE;
}

bool spec_is_flat(const LayerSpec *layer)
{
    return layer->type == SPEC_FLATTEN || layer->type == SPEC_LINEAR;
}
