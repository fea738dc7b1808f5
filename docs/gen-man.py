#!/usr/bin/env python3
"""Write the man page docs/conlab.1 from docs/conlab.1.in and the conlab
binary, so that the page and the binary cannot drift:

  @SYNOPSIS@  the usage lines of every command's --help
  @COMMANDS@  every command (`conlab help --commands`) with its --help text
  @STATUSES@  the cell statuses (`conlab help --statuses`)

    gen-man.py CONLAB TEMPLATE [-o OUT]      write the page (stdout without -o)
    gen-man.py --check CONLAB TEMPLATE PAGE  exit 1, with a diff, if PAGE is
                                             not what would be written

A --help text is read as: a "usage:" block, then paragraphs (filled),
option lines ("  -o, --output DIR  what", continued by deeper-indented
lines) and literal lines (indented by two, not an option).
"""
import difflib
import re
import subprocess
import sys

OPTION = re.compile(r"^ {2,6}(-\S.*?)(?: {2,}(\S.*))?$")


def conlab(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin"}).stdout


def esc(text):
    """roff-escape one line of text."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def split_usage(help_text):
    """(usage lines without 'usage: ', the rest of the lines)."""
    lines = help_text.rstrip("\n").split("\n")
    usage = []
    i = 0
    while i < len(lines) and lines[i].strip():
        usage.append(lines[i][7:])  # "usage: " or the 7 blanks under it
        i += 1
    return usage, lines[i:]


def body_roff(lines):
    """The roff of a --help text's lines after its usage block."""
    out, mode = [], None  # None, "para", "opt", "lit"

    def close():
        if mode == "lit":
            out.append(".EE")

    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        m = OPTION.match(line)
        if not line.strip():
            close()
            mode = None
        elif mode == "opt" and indent > 6 and not m:
            out.append(esc(line.strip()))
        elif m:
            if mode == "lit":
                close()
            out.append(".TP")
            out.append("\\fB" + esc(m.group(1)) + "\\fR")
            if m.group(2):
                out.append(esc(m.group(2)))
            mode = "opt"
        elif indent >= 2:
            if mode != "lit":
                out += [".PP", ".EX"]
                mode = "lit"
            out.append(esc(line[2:]))
        else:
            if mode != "para":
                close()
                out.append(".PP")
                mode = "para"
            out.append(esc(line))
    close()
    return out


def generate(binary, template):
    cmds = [l.split("\t") for l in conlab(binary, "help", "--commands").splitlines()]
    synopsis, commands = [], []
    for name, args, summary in cmds:
        usage, rest = split_usage(conlab(binary, "help", name))
        if synopsis:
            synopsis.append(".br")
        synopsis += [esc(u) for u in usage]
        commands.append('.SS "%s"' % esc((name + " " + args).strip()))
        end = "" if summary[-1:] in ".?" else "."
        commands.append(esc(summary[:1].upper() + summary[1:]) + end)
        commands.append(".PP")
        commands.append(".EX")
        commands += [esc(u) for u in usage]
        commands.append(".EE")
        commands += body_roff(rest)
    synopsis = [".nf"] + synopsis + [".fi"]
    statuses = []
    for line in conlab(binary, "help", "--statuses").splitlines():
        name, meaning = line.split(None, 1)
        statuses += [".TP", ".B " + esc(name), esc(meaning)]
    parts = {"@SYNOPSIS@": synopsis, "@COMMANDS@": commands,
             "@STATUSES@": statuses}
    page = []
    for line in open(template).read().rstrip("\n").split("\n"):
        page += parts.get(line, [line])
    return "\n".join(page) + "\n"


def main(argv):
    if len(argv) == 5 and argv[1] == "--check":
        want = generate(argv[2], argv[3])
        have = open(argv[4]).read()
        if want == have:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            have.splitlines(True), want.splitlines(True), argv[4], "generated"))
        print("\n%s is not what %s and conlab --help say: regenerate it with\n"
              "  cmake --build build --target man" % (argv[4], argv[3]))
        return 1
    if len(argv) == 3:
        sys.stdout.write(generate(argv[1], argv[2]))
        return 0
    if len(argv) == 5 and argv[3] == "-o":
        page = generate(argv[1], argv[2])
        with open(argv[4], "w") as f:
            f.write(page)
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
