/* test-neutral.c — CSV formula cells, terminal-safe text, Markdown cells
 * and URL passwords made harmless (host/neutral.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "neutral.h"

/* One case: f(in) must be `want`. */
struct io {
    const char *in, *want;
};

/* Every case of cases[0 .. n) through f. */
static void expect_all(char *(*f)(const char *), const struct io *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = f(cases[i].in);
        assert_string_equal(got, cases[i].want);
        free(got);
    }
}

static void numbers(void **st)
{
    (void)st;
    const char *yes[] = {"0", "1", "-1.5", "+2", "1e9", "-2.5E-3", ".5", "5.",
                         "-inf", "inf", "NaN", "-nan", "+Infinity"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(cl_neutral_is_number(yes[i]));
    const char *no[] = {"", "-", "+", ".", "e5", "1e", "1e+", "-1+2", "1 ", " 1",
                        "0x10", "-infx", "1,5", "--1", "=1"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(cl_neutral_is_number(no[i]));
}

static void csv_formulas_get_a_quote(void **st)
{
    (void)st;
    static const struct io cases[] = {
        {"=1+1", "'=1+1"},
        {"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
        {"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
        {"-2+3", "'-2+3"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\t=1", "'\t=1"},
        {"\r=1", "'\r=1"},
        {"-", "'-"},
    };
    expect_all(cl_neutral_csv, cases, sizeof cases / sizeof *cases);
    assert_true(cl_neutral_csv_risky("=x"));
    assert_false(cl_neutral_csv_risky("-1.5"));
}

/* cl_neutral_csv_unquote gives back exactly what cl_neutral_csv was given. */
static void csv_unquote_inverts(void **st)
{
    (void)st;
    const char *in[] = {"=1", "'=1", "''=1", "'", "''", "'x", "-1", "'-1", "-",
                        "'-", "", "@", "x"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *out = cl_neutral_csv(in[i]);
        assert_string_equal(cl_neutral_csv_unquote(out), in[i]);
        free(out);
    }
    static const struct io cases[] = {
        {"'=1", "''=1"}, /* a quote before a formula is escaped too */
        {"'x", "'x"},
    };
    expect_all(cl_neutral_csv, cases, sizeof cases / sizeof *cases);
}

static void csv_numbers_and_text_untouched(void **st)
{
    (void)st;
    static const struct io cases[] = {
        {"-1.5", "-1.5"},
        {"+3", "+3"},
        {"-inf", "-inf"},
        {"-2e-07", "-2e-07"},
        {"", ""},
        {"threads(workers=2)", "threads(workers=2)"},
        {"a=b", "a=b"}, /* only the first character counts */
        {" =1", " =1"},
    };
    expect_all(cl_neutral_csv, cases, sizeof cases / sizeof *cases);
}

static void terminal_controls_escaped(void **st)
{
    (void)st;
    static const struct io cases[] = {
        /* OSC 8 hyperlink, CSI clear screen, bell, CR/LF/TAB, DEL */
        {"\033]8;;http://evil\a click\033]8;;\a",
         "\\x1b]8;;http://evil\\x07 click\\x1b]8;;\\x07"},
        {"a\033[2Jb", "a\\x1b[2Jb"},
        {"l1\r\nl2\tx\x7f", "l1\\x0d\\x0al2\\x09x\\x7f"},
        {"plain text (ok) = 1", "plain text (ok) = 1"},
        {"", ""},
    };
    expect_all(cl_neutral_term, cases, sizeof cases / sizeof *cases);
}

static void terminal_c1_and_bad_utf8(void **st)
{
    (void)st;
    static const struct io cases[] = {
        /* U+009B (CSI) and U+0080 encoded as UTF-8 */
        {"x\xc2\x9b" "31mred", "x\\u009b31mred"},
        {"\xc2\x80", "\\u0080"},
        /* U+00A0 (just after C1) and other valid UTF-8 stay */
        {"\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
         "\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},
        /* a raw 8-bit CSI byte, a lone continuation, an overlong ESC (C0 9B),
         * a truncated sequence, a surrogate */
        {"\x9b" "1m", "\\x9b1m"},
        {"\x80", "\\x80"},
        {"\xc0\x9b", "\\xc0\\x9b"},
        {"\xe2\x82", "\\xe2\\x82"},
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},
        /* right-to-left override (Trojan Source) */
        {"a\xe2\x80\xae" "b", "a\\u202eb"},
    };
    expect_all(cl_neutral_term, cases, sizeof cases / sizeof *cases);
}

static void markdown_cells(void **st)
{
    (void)st;
    static const struct io cases[] = {
        {"a|b", "a\\|b"},
        {"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
        {"&lt;", "&amp;lt;"},
        {"*b* _i_ `c` ~s~ [l](u) ![i](u) \\ #h",
         "\\*b\\* \\_i\\_ \\`c\\` \\~s\\~ \\[l\\](u) \\!\\[i\\](u) \\\\ \\#h"},
        {"row1\nrow2\r\n", "row1 row2  "},
        {"x\033[1m", "x\\x1b\\[1m"},
        {"threads(workers=2) x noop(tasks=10)",
         "threads(workers=2) x noop(tasks=10)"},
    };
    expect_all(cl_neutral_md, cases, sizeof cases / sizeof *cases);
}

static void url_passwords_masked(void **st)
{
    (void)st;
    static const struct io cases[] = {
        {"http://user:secret@host:8080/x", "http://user:***@host:8080/x"},
        {"https://u:p@h", "https://u:***@h"},
        {"http(urls=http://u:p@h/x;https://a:b@c/y,method=GET)",
         "http(urls=http://u:***@h/x;https://a:***@c/y,method=GET)"},
        /* a password holding @ and : up to the last @ of the authority */
        {"ftp://u:p@ss:w@h/", "ftp://u:***@h/"},
        {"x redis+tls://:pw@h y", "x redis+tls://:***@h y"},
        /* an @ after the path is not userinfo */
        {"http://h/p?q=a:b@c", "http://h/p?q=a:b@c"},
        {"http://h/x http://v:w@g", "http://h/x http://v:***@g"},
    };
    expect_all(cl_neutral_url, cases, sizeof cases / sizeof *cases);
}

static void url_left_alone(void **st)
{
    (void)st;
    static const struct io cases[] = {
        {"ssh://git@host/r", "ssh://git@host/r"},
        {"http://u:@h", "http://u:@h"},
        {"http://host:80/", "http://host:80/"},
        {"://u:p@h", "://u:p@h"},
        {"no url: a:b@c", "no url: a:b@c"},
        {"", ""},
        {"http://", "http://"},
    };
    expect_all(cl_neutral_url, cases, sizeof cases / sizeof *cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers),
        cmocka_unit_test(csv_formulas_get_a_quote),
        cmocka_unit_test(csv_unquote_inverts),
        cmocka_unit_test(csv_numbers_and_text_untouched),
        cmocka_unit_test(terminal_controls_escaped),
        cmocka_unit_test(terminal_c1_and_bad_utf8),
        cmocka_unit_test(markdown_cells),
        cmocka_unit_test(url_passwords_masked),
        cmocka_unit_test(url_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
