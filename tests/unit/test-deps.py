#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TG_PACKAGES (scripts/lib.sh) provides everything the tests ask for.

    test-deps.py SRCDIR

Reads every script and C file of the tests, benchmarks and packaging, and
collects what they name: packages ('apt-get install NAME' in a message) and
programs they probe for or run by path ('command -v NAME', find_program(),
'[ -x /usr/lib/frr/bgpd ]', "/usr/bin/valgrind"). Each package must be in
TG_PACKAGES; each program must be installed and belong (dpkg -S) to a listed
package, a direct dependency of one, or a package of priority 'required'
(what every Debian system has). One TAP line per name: a machine where
something was installed by hand passes only if the list would install it.
"""
import os
import re
import shutil
import subprocess
import sys

SCAN_DIRS = ["tests", "bench", "scripts", "packaging"]
SKIP_DIRS = {"tests/data", "tests/fuzz/corpus"}
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
PKG = r"[a-z0-9][a-z0-9.+-]+"

APT_INSTALL = re.compile(r"apt-get install((?:\s+-[-\w]+)*)((?:\s+" + PKG + r")+)")
PROBES = [
    re.compile(r"command -v ([\w./+-]+)"),
    re.compile(r"find_program\('([\w./+-]+)'"),
    re.compile(r"(?:\[|test) -x (/[\w./+-]+)"),
    re.compile(r"[\"'=\s](/usr/(?:s?bin|lib|libexec)/[\w.+-]+(?:/[\w.+-]+)*)"),
]
# Paths the test scripts themselves write, never probe.
WRITTEN = {"/usr/sbin/policy-rc.d"}
COMMENT = {"c": re.compile(r"^\s*(\*|/\*|//)"), "other": re.compile(r"^\s*#")}


def sources(src):
    for top in SCAN_DIRS:
        for dirpath, dirs, files in os.walk(os.path.join(src, top)):
            rel = os.path.relpath(dirpath, src)
            dirs[:] = [d for d in dirs if os.path.join(rel, d) not in SKIP_DIRS]
            for f in sorted(files):
                path = os.path.join(dirpath, f)
                if f.endswith((".sh", ".py", ".c", ".build")) or is_script(path):
                    yield os.path.join(rel, f), path


def is_script(path):
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return False


def listed_packages(src):
    out = subprocess.run(["bash", "-c", '. scripts/lib.sh && printf "%s\\n" "${TG_PACKAGES[@]}"'],
                         cwd=src, check=True, capture_output=True, text=True).stdout
    return set(out.split())


def dpkg(*args):
    r = subprocess.run(["dpkg-query", *args], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else ""


def acceptable(listed):
    """Listed packages, their direct dependencies, and every required package."""
    ok = set(listed)
    for line in dpkg("-W", "-f", "${Depends}, ${Pre-Depends}\n", *sorted(listed)).splitlines():
        for alt in line.split(","):
            for dep in alt.split("|"):
                name = dep.strip().split(" ")[0].split(":")[0]
                if name:
                    ok.add(name)
    for line in dpkg("-W", "-f", "${Package} ${Priority}\n").splitlines():
        name, _, prio = line.partition(" ")
        if prio == "required":
            ok.add(name)
    return ok


def owner(path):
    """The package owning PATH (or what it links to), or None."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        if p.startswith("/usr/"):
            cands.append(p[4:])  # merged /usr: dpkg may know /bin/x
    for p in cands:
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].split(",")[0].strip()
    return None


def scan(src, listed):
    packages, programs = {}, {}
    for rel, path in sources(src):
        if rel in ("scripts/lib.sh", "tests/unit/test-deps.py"):
            continue  # the installer, and this file
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        comment = COMMENT["c" if rel.endswith(".c") else "other"]
        for no, line in enumerate(lines, 1):
            where = f"{rel}:{no}"
            if (no == 1 and line.startswith("#!")) or comment.match(line):
                continue
            for m in APT_INSTALL.finditer(line):
                for name in m.group(2).split():
                    packages.setdefault(name, where)
            for rx in PROBES:
                for m in rx.finditer(line):
                    name = m.group(1).rstrip(".")
                    if name in WRITTEN or "tapgate" in name or (
                            not name.startswith("/") and
                            ("/" in name or name.endswith((".sh", ".py")))):
                        continue  # one of our own files
                    programs.setdefault(name, where)
    return packages, programs


def main():
    src = sys.argv[1]
    listed = listed_packages(src)
    ok = acceptable(listed)
    packages, programs = scan(src, listed)
    results = []
    for name, where in sorted(packages.items()):
        good = name in listed
        results.append((good, f"{where} names package '{name}'" +
                         ("" if good else ": TG_PACKAGES does not list it")))
    for name, where in sorted(programs.items()):
        path = name if name.startswith("/") else shutil.which(name, path=SYSTEM_PATH)
        if not path or not os.path.exists(path):
            results.append((False, f"{where} needs '{name}', which is not installed: "
                                   "TG_PACKAGES does not provide it"))
            continue
        pkg = owner(path)
        good = pkg in ok
        results.append((good, f"{where} needs '{name}' from package '{pkg}'" +
                         ("" if good else ": TG_PACKAGES does not list it")))
    if not programs or not packages:
        results.append((False, "the scan found no programs or no package names: is SRCDIR right?"))
    print(f"1..{len(results)}")
    for i, (good, text) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {text}")
    return 0 if all(g for g, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
