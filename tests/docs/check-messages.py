#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fail when a message a user can see is not in a man page.

Usage: check-messages.py SOURCE_ROOT [-v]

Every error and warning message of tapgate-helper, tapgate-hook and tapgate is
a format string in the C sources. This script collects them from the calls that
print them or carry them to the user (die(), fail(), usage_error(), key_error(),
g_set_error(), fprintf(stderr, ...), log_msg() to syslog, "warning:" lines,
denial reasons and policy warnings built with g_strdup_printf()), turns printf
conversions (%s, %u, %d, %m...) into wildcards, and looks for each one in the
DIAGNOSTICS section of the man page(s) that SOURCES assigns to its file.

In a DIAGNOSTICS section, a message is a line that is not indented and is
followed by an indented (tab) description, directly or after more message
lines; prose paragraphs are not messages. Placeholders (_NAME_) in a message
match anything, as the wildcards of the C side do; everything else must be
written exactly as the program prints it (without the "tapgate-helper: " or
"tapgate ...: " prefix).

Prints every missing message and exits 1 if there is any; 0 otherwise.
With -v, also lists documented lines that match no message (stale entries?).
"""
import os
import re
import sys

# Which page's DIAGNOSTICS must list the messages of each file. Library files
# are assigned to every page of a program that shows their messages in full;
# messages that tapgate(1) only passes on from code the hook shares (port
# wiring, metadata parsing) are listed in tapgate-hook(8), which tapgate(1)
# points to.
HELPER, HOOK, CLI, CONF = ('tapgate-helper.8', 'tapgate-hook.8', 'tapgate.1',
                           'tapgate.conf.5')
SOURCES = {
    'helper/helper.c': [HELPER],
    'helper/log.c': [HELPER],
    'helper/privs.c': [HELPER],
    'lib/helper-args.c': [HELPER],
    'lib/policy.c': [HELPER],           # the reasons of decisions
    'lib/portstate.c': [HELPER],
    'lib/vxlan.c': [CLI],               # through 'tapgate apply'
    'lib/apply.c': [CLI],
    'lib/apply-run.c': [CLI],
    'lib/netprep.c': [HELPER, HOOK, CLI],   # the preflight; explain and check say it too
    'lib/portnet.c': [HOOK],
    'lib/tap.c': [HELPER],
    'lib/ifname.c': [HELPER, CONF, CLI],
    'lib/vlan.c': [CONF, HOOK, CLI],
    'lib/policy-acl.c': [CONF],
    'lib/policy-keyfile.c': [CONF],
    'lib/policy-load.c': [CONF],
    'lib/secfile.c': [CONF],
    'hooks/hook.c': [HOOK],
    'lib/portcfg.c': [HOOK],
    'xml/portxml.c': [HOOK],
    'xml/xmltree.c': [HOOK],          # the details of 'XML does not parse'
    'cli/tapgate.c': [CLI],
    'cli/cmd-policy.c': [CLI],
    'cli/cmd-status.c': [CLI],
    'cli/cmd-apply.c': [CLI],
    'cli/cmd-sync.c': [CLI],
    'cli/cmd-xml.c': [CLI],
    'cli/cmd-run.c': [CLI],
    'cli/cmd-port.c': [CLI],
    'xml/gen.c': [CLI],
    'cli/netwatch.c': [CLI],
    'cli/sync-guard.c': [CLI],
}
# Directories whose C files must all appear in SOURCES if they print anything.
SOURCE_DIRS = ['helper', 'hooks', 'xml', 'lib']

# Format strings that are collected but are not messages. Keep this short and
# say why; never exclude a real message because it is hard to document.
EXCLUDE = {
    # 'tapgate check' ends with a count ("2 warnings"), not a message.
    '%u warning%s',
}

# String macros of config.h (meson options; the defaults, as a package has them).
CONFIG_MACROS = {
    'TG_TUN_PATH': '/dev/net/tun',
    'TG_POLICY_PATH': '/etc/tapgate/tapgate.conf',
    'TG_QEMU_ACL_PATH': '/etc/qemu/bridge.conf',
    'TG_STATE_DIR': '/run/tapgate',
    'TG_VHOST_PATH': '/dev/vhost-net',
    'TG_HELPER_PATH': '/usr/libexec/tapgate-helper',
}

# Calls whose first argument holding a string literal is a message format.
SINKS = ('die', 'fail', 'problem', 'todo', 'key_error', 'spec_error', 'usage_error', 'g_set_error', 'g_set_error_literal',
         'log_msg', 'g_printerr', 'g_warning', 'g_critical', 'g_message', 'g_error',
         'perror', 'warn', 'warnx', 'err', 'errx')
# printf() prints results, not messages, except its "warning:" lines.
# g_strdup_printf() builds many strings; those that end up as the reason of a
# decision, a policy warning or a note on a draft policy are messages.
STRDUP_CONTEXT = re.compile(r'\b(reason|warnings|draft_notes)\b')
# Program prefixes the pages describe once instead of repeating per message.
PREFIX = re.compile(r'^(tapgate-helper|tapgate-hook|tapgate(?: sync| run| port| %s)?):(?: |$)')

CONVERSION = re.compile(r"%(?:%|[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                        r"(?:hh|h|ll|l|L|z|j|t)?[diouxXeEfgGcspmn])")
PLACEHOLDER = '\x00'


def literal_end(text, i):
    """Index just past the string or char literal that starts at text[i]."""
    j, quote = i + 1, text[i]
    while j < len(text) and text[j] != quote:
        j += 2 if text[j] == '\\' else 1
    return j + 1


def strip_comments(text):
    """C text without comments; string and char literals kept intact."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in '"\'':
            j = literal_end(text, i)
            out.append(text[i:j])
            i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(' ' + '\n' * text.count('\n', i, j))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def unescape(s):
    return re.sub(r'\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)', lambda m: {
        'n': '\n', 't': '\t', '\\': '\\', '"': '"', "'": "'"}.get(
            m.group(1), chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == 'x'
            else chr(int(m.group(1), 8)) if m.group(1)[0].isdigit() else m.group(1)),
        s)


TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)|(\S)', re.S)


def literal_runs(arg, macros):
    """Runs of adjacent string literals (and string macros) in an argument.

    Return: the runs, and whether the argument had a literal of its own
    (a macro alone, such as DENIED_MESSAGE, is not one)."""
    runs, cur, literal = [], None, False
    for m in TOKEN.finditer(arg):
        if m.group(1) is not None:
            cur = (cur or '') + unescape(m.group(1))
            literal = True
        elif m.group(2) is not None and m.group(2) in macros:
            cur = (cur or '') + macros[m.group(2)]
        elif cur is not None:
            runs.append(cur)
            cur = None
    if cur is not None:
        runs.append(cur)
    return runs, literal


def split_args(text, start):
    """Arguments of the call whose '(' is at text[start]; and the end index."""
    depth, i, n, args, cur = 0, start, len(text), [], []
    while i < n:
        c = text[i]
        if c in '"\'':
            j = literal_end(text, i)
            cur.append(text[i:j])
            i = j
            continue
        if c in '([{':
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                args.append(''.join(cur))
                return args, i
        elif c == ',' and depth == 1:
            args.append(''.join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    raise ValueError('unbalanced call')


def file_macros(text):
    macros = dict(CONFIG_MACROS)
    for m in re.finditer(r'^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+((?:[^\n\\]|\\\n|\\.)*)',
                         text, re.M):
        body = m.group(2).replace('\\\n', ' ')
        if re.fullmatch(r'\s*("(?:[^"\\]|\\.)*"\s*|\w+\s*)+', body) and '"' in body:
            runs, _ = literal_runs(body, macros)
            if len(runs) == 1:
                macros[m.group(1)] = runs[0]
    return macros


def messages_of(path, text):
    """(line, format) of every message format in one C file."""
    text = strip_comments(text)
    macros = file_macros(text)
    body = re.sub(r'^[ \t]*#.*(?:\\\n.*)*$', lambda m: '\n' * m.group(0).count('\n'),
                  text, flags=re.M)
    found = []
    call = re.compile(r'\b(%s|fprintf|fputs|printf|g_strdup_printf)\s*\(' % '|'.join(SINKS))
    for m in call.finditer(body):
        name = m.group(1)
        before = body[:m.start()].rstrip()
        if re.search(r'\b(static|int|void|char|gboolean)\s*(\*\s*)?$', before) or \
                re.search(r'G_GNUC_PRINTF\([^)]*\)\s*$', before):
            continue    # a definition or declaration, not a call
        try:
            args, _ = split_args(body, m.end() - 1)
        except ValueError:
            continue
        line = body.count('\n', 0, m.start()) + 1
        if name == 'fprintf':
            if args[0].strip() != 'stderr':
                continue
            args = args[1:]
        elif name == 'fputs':
            if args[-1].strip() != 'stderr':
                continue
            args = args[:-1]
        elif name == 'g_strdup_printf':
            stmt = re.split(r'[;{}]', before)[-1]
            if not STRDUP_CONTEXT.search(stmt):
                continue
        if name == 'usage_error':
            args = args[:1]     # the second argument is the subcommand
        for pos, arg in enumerate(args):
            runs, literal = literal_runs(arg, macros)
            # The format is the first argument with a literal in it, or a
            # string macro given as the first argument: die(DENIED_MESSAGE).
            if not runs or not (literal or pos == 0):
                continue
            for fmt in runs:
                if name == 'printf' and 'warning' not in fmt:
                    continue
                found.append((line, fmt))
            break
    return found


def normalize_c(fmt):
    fmt = PREFIX.sub('', fmt.strip())
    return re.sub(r'\s+', ' ', fmt).strip()


def is_message(fmt):
    """A format with some words of its own; "%s: %s" only passes others on."""
    return re.search(r'[A-Za-z]{3,}', CONVERSION.sub('', fmt)) is not None


def c_regex(fmt):
    parts, pos = [], 0
    for m in CONVERSION.finditer(fmt):
        parts.append(re.escape(fmt[pos:m.start()]))
        parts.append('%' if m.group(0) == '%%' else '.*')
        pos = m.end()
    parts.append(re.escape(fmt[pos:]))
    return re.compile(''.join(parts), re.S)


def scdoc_text(line):
    """A line of scdoc source as text; placeholders (_X_) become PLACEHOLDER.

    Follows scdoc's rules: '\\' makes the next character literal, '*' toggles
    bold, '_' starts italics after a non-alphanumeric character and ends them
    before one (underscores inside words are literal)."""
    out, i, n, italic, last = [], 0, len(line), False, ' '
    if line.endswith('++'):
        line, n = line[:-2], n - 2
    while i < n:
        c = line[i]
        if c == '\\' and i + 1 < n:
            if not italic:
                out.append(line[i + 1])
            last = line[i + 1]
            i += 2
            continue
        if c == '*':
            i += 1
            continue
        if c == '_':
            nxt = line[i + 1] if i + 1 < n else ' '
            if not italic and not last.isalnum():
                italic = True
                out.append(PLACEHOLDER)
                last = c
                i += 1
                continue
            if italic and not nxt.isalnum():
                italic = False
                last = c
                i += 1
                continue
        if not italic:
            out.append(c)
        last = c
        i += 1
    return re.sub(r'\s+', ' ', ''.join(out)).strip()


def diagnostics(path):
    """The message lines of a page's DIAGNOSTICS section, as (lineno, text)."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    start = next((i for i, l in enumerate(lines) if l.strip() == '# DIAGNOSTICS'), None)
    if start is None:
        return None
    section = []
    for i in range(start + 1, len(lines)):
        if lines[i].startswith('# '):
            break
        section.append((i + 1, lines[i]))
    found, run = [], []
    for lineno, l in section:
        if l.startswith('\t'):
            found.extend(run)
            run = []
        elif not l.strip() or l.startswith('#') or l.startswith('; '):
            run = []
        else:
            run.append((lineno, scdoc_text(l)))
    return found


def main(argv):
    verbose = '-v' in argv[1:]
    args = [a for a in argv[1:] if a != '-v']
    if len(args) != 1:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    root = args[0]
    mandir = os.path.join(root, 'docs', 'man')
    pages, problems = {}, 0
    for page in sorted({p for ps in SOURCES.values() for p in ps}):
        found = diagnostics(os.path.join(mandir, page + '.scd'))
        if found is None:
            print(f'{page}.scd: no DIAGNOSTICS section')
            problems += 1
            found = []
        pages[page] = found
    used = set()

    files = set()
    for d in SOURCE_DIRS:
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith('.c'):
                files.add(f'{d}/{name}')
    checked = 0
    for rel in sorted(files | set(SOURCES)):
        with open(os.path.join(root, rel), encoding='utf-8') as f:
            msgs = [(l, normalize_c(m)) for l, m in messages_of(rel, f.read())]
        msgs = [(l, m) for l, m in msgs if is_message(m) and m not in EXCLUDE]
        if msgs and rel not in SOURCES:
            print(f'{rel}: prints messages but has no man page in SOURCES of {argv[0]}')
            problems += 1
            continue
        for line, msg in msgs:
            rx = c_regex(msg)
            for page in SOURCES.get(rel, []):
                checked += 1
                hits = [(n, t) for n, t in pages[page] if rx.search(t)]
                used.update((page, n) for n, _ in hits)
                if not hits:
                    print(f'{page}: missing from DIAGNOSTICS: "{msg}" ({rel}:{line})')
                    problems += 1
    if verbose:
        for page, found in pages.items():
            for n, t in found:
                if (page, n) not in used:
                    print(f'note: {page}.scd:{n} matches no message: '
                          f'{t.replace(PLACEHOLDER, "_")}')
    print(f'{checked} message checks, {problems} problem{"" if problems == 1 else "s"}')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
