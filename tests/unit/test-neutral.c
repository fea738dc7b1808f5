/* test-neutral.c — CSV formula cells, terminal-safe text, Markdown cells
 * and URL passwords made harmless (host/neutral.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "neutral.h"

/* f(in) must be `want`; frees the result. */
static void expect(char *(*f)(const char *), const char *in, const char *want)
{
    char *got = f(in);
    assert_string_equal(got, want);
    free(got);
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
    expect(cl_neutral_csv, "=1+1", "'=1+1");
    expect(cl_neutral_csv, "=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")");
    expect(cl_neutral_csv, "+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0");
    expect(cl_neutral_csv, "-2+3", "'-2+3");
    expect(cl_neutral_csv, "@SUM(A1)", "'@SUM(A1)");
    expect(cl_neutral_csv, "\t=1", "'\t=1");
    expect(cl_neutral_csv, "\r=1", "'\r=1");
    expect(cl_neutral_csv, "-", "'-");
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
    expect(cl_neutral_csv, "'=1", "''=1");
    expect(cl_neutral_csv, "'x", "'x");
}

static void csv_numbers_and_text_untouched(void **st)
{
    (void)st;
    expect(cl_neutral_csv, "-1.5", "-1.5");
    expect(cl_neutral_csv, "+3", "+3");
    expect(cl_neutral_csv, "-inf", "-inf");
    expect(cl_neutral_csv, "-2e-07", "-2e-07");
    expect(cl_neutral_csv, "", "");
    expect(cl_neutral_csv, "threads(workers=2)", "threads(workers=2)");
    expect(cl_neutral_csv, "a=b", "a=b"); /* only the first character counts */
    expect(cl_neutral_csv, " =1", " =1");
}

static void terminal_controls_escaped(void **st)
{
    (void)st;
    /* OSC 8 hyperlink, CSI clear screen, bell, CR/LF/TAB, DEL */
    expect(cl_neutral_term, "\033]8;;http://evil\a click\033]8;;\a",
           "\\x1b]8;;http://evil\\x07 click\\x1b]8;;\\x07");
    expect(cl_neutral_term, "a\033[2Jb", "a\\x1b[2Jb");
    expect(cl_neutral_term, "l1\r\nl2\tx\x7f", "l1\\x0d\\x0al2\\x09x\\x7f");
    expect(cl_neutral_term, "plain text (ok) = 1", "plain text (ok) = 1");
    expect(cl_neutral_term, "", "");
}

static void terminal_c1_and_bad_utf8(void **st)
{
    (void)st;
    /* U+009B (CSI) and U+0080 encoded as UTF-8 */
    expect(cl_neutral_term, "x\xc2\x9b" "31mred", "x\\u009b31mred");
    expect(cl_neutral_term, "\xc2\x80", "\\u0080");
    /* U+00A0 (just after C1) and other valid UTF-8 stay */
    expect(cl_neutral_term, "\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
           "\xc2\xa0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* a raw 8-bit CSI byte, a lone continuation, an overlong ESC (C0 9B),
     * a truncated sequence, a surrogate */
    expect(cl_neutral_term, "\x9b" "1m", "\\x9b1m");
    expect(cl_neutral_term, "\x80", "\\x80");
    expect(cl_neutral_term, "\xc0\x9b", "\\xc0\\x9b");
    expect(cl_neutral_term, "\xe2\x82", "\\xe2\\x82");
    expect(cl_neutral_term, "\xed\xa0\x80", "\\xed\\xa0\\x80");
    /* right-to-left override (Trojan Source) */
    expect(cl_neutral_term, "a\xe2\x80\xae" "b", "a\\u202eb");
}

static void markdown_cells(void **st)
{
    (void)st;
    expect(cl_neutral_md, "a|b", "a\\|b");
    expect(cl_neutral_md, "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;");
    expect(cl_neutral_md, "&lt;", "&amp;lt;");
    expect(cl_neutral_md, "*b* _i_ `c` ~s~ [l](u) ![i](u) \\ #h",
           "\\*b\\* \\_i\\_ \\`c\\` \\~s\\~ \\[l\\](u) \\!\\[i\\](u) \\\\ \\#h");
    expect(cl_neutral_md, "row1\nrow2\r\n", "row1 row2  ");
    expect(cl_neutral_md, "x\033[1m", "x\\x1b\\[1m");
    expect(cl_neutral_md, "threads(workers=2) x noop(tasks=10)",
           "threads(workers=2) x noop(tasks=10)");
}

static void url_passwords_masked(void **st)
{
    (void)st;
    expect(cl_neutral_url, "http://user:secret@host:8080/x", "http://user:***@host:8080/x");
    expect(cl_neutral_url, "https://u:p@h", "https://u:***@h");
    expect(cl_neutral_url, "http(urls=http://u:p@h/x;https://a:b@c/y,method=GET)",
           "http(urls=http://u:***@h/x;https://a:***@c/y,method=GET)");
    /* a password holding @ and : up to the last @ of the authority */
    expect(cl_neutral_url, "ftp://u:p@ss:w@h/", "ftp://u:***@h/");
    expect(cl_neutral_url, "x redis+tls://:pw@h y", "x redis+tls://:***@h y");
    /* an @ after the path is not userinfo */
    expect(cl_neutral_url, "http://h/p?q=a:b@c", "http://h/p?q=a:b@c");
    expect(cl_neutral_url, "http://h/x http://v:w@g", "http://h/x http://v:***@g");
}

static void url_left_alone(void **st)
{
    (void)st;
    expect(cl_neutral_url, "ssh://git@host/r", "ssh://git@host/r");
    expect(cl_neutral_url, "http://u:@h", "http://u:@h");
    expect(cl_neutral_url, "http://host:80/", "http://host:80/");
    expect(cl_neutral_url, "://u:p@h", "://u:p@h");
    expect(cl_neutral_url, "no url: a:b@c", "no url: a:b@c");
    expect(cl_neutral_url, "", "");
    expect(cl_neutral_url, "http://", "http://");
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
