#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the test guest: Debian's own kernel and a tiny initramfs.

    mkimage.py OUTDIR INIT

writes OUTDIR/vmlinux (the uncompressed kernel, booted through its PVH entry:
about 6 s under TCG instead of 14-19 s for the compressed image; when it
cannot be extracted, OUTDIR/vmlinux is the bzImage itself), OUTDIR/initramfs.cpio
and OUTDIR/kernel-version.

The kernel package is the one linux-image-amd64 depends on, fetched with
'apt-get download' and unpacked with 'dpkg-deb -x': nothing is installed on
the host. The initramfs holds the static busybox (for the first steps of
/init only), INIT, and the kernel modules the tests need with their
dependencies; everything else (bash, iproute2, the tests' shared libraries)
comes read-only from the host's /usr over 9p, so it is the real thing.
"""
import gzip
import lzma
import os
import shutil
import stat
import subprocess
import sys
import tempfile

MODULES = [
    "virtio_pci", "virtio_net", "9pnet_virtio", "9p",
    "bridge", "8021q", "tun", "veth", "vxlan", "macvtap", "dummy", "overlay", "vhost_net",
]
BUSYBOX = "/bin/busybox"
APT_ARCHIVE = "/var/cache/apt/archives"


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def kernel_package():
    def depends():
        out = run("apt-cache", "depends", "linux-image-amd64")
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("Depends: linux-image-"):
                return line.split()[1]
        return None
    try:
        pkg = depends()
    except subprocess.CalledProcessError:
        pkg = None
    if not pkg:  # a fresh machine may have no package lists yet
        run("apt-get", "update", "-qq")
        pkg = depends()
    if not pkg:
        sys.exit("mkimage: cannot tell which kernel linux-image-amd64 depends on")
    return pkg


def fetch_kernel(pkg, cache, tmp):
    """Unpack the kernel package, downloading it only if not cached yet."""
    os.makedirs(cache, exist_ok=True)
    debs = [f for f in os.listdir(cache) if f.startswith(pkg + "_") and f.endswith(".deb")]
    if not debs:
        # apt's own archive outlives build directories (and is what the
        # Debian 13 lane of scripts/check.sh keeps between runs).
        debs = [f for f in os.listdir(APT_ARCHIVE) if f.startswith(pkg + "_") and
                f.endswith(".deb")] if os.path.isdir(APT_ARCHIVE) else []
        if debs:
            shutil.copy(os.path.join(APT_ARCHIVE, debs[0]), tmp)
        else:
            os.chmod(tmp, 0o777)  # apt's _apt user downloads into it
            run("apt-get", "download", "-q", pkg, cwd=tmp)
            debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
            if os.access(APT_ARCHIVE, os.W_OK):
                shutil.copy(os.path.join(tmp, debs[0]), APT_ARCHIVE)
        for f in os.listdir(cache):  # an older kernel: drop it
            os.unlink(os.path.join(cache, f))
        shutil.move(os.path.join(tmp, debs[0]), os.path.join(cache, debs[0]))
    root = os.path.join(tmp, "root")
    run("dpkg-deb", "-x", os.path.join(cache, debs[0]), root)
    return root


def extract_vmlinux(bzimage):
    """The ELF kernel inside a bzImage, or None if it is not XZ-compressed."""
    data = open(bzimage, "rb").read()
    at = data.find(b"\xfd7zXZ\x00")
    if at < 0:
        return None
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[at:])
    except lzma.LZMAError:
        return None
    return elf if elf[:4] == b"\x7fELF" else None


MODULE_EXTS = (".ko", ".ko.xz", ".ko.gz")  # Debian 13 ships .ko.xz


def module_name(path):
    base = os.path.basename(path)
    for ext in MODULE_EXTS:
        if base.endswith(ext):
            return base[:-len(ext)].replace("-", "_")
    return None


def module_paths(moddir):
    paths = {}
    for dirpath, _, files in os.walk(moddir):
        for f in files:
            name = module_name(f)
            if name:
                paths[name] = os.path.join(dirpath, f)
    return paths


def module_builtin(moddir):
    """Modules built into the kernel: nothing to load."""
    try:
        lines = open(os.path.join(moddir, "modules.builtin")).read().split()
    except OSError:
        return set()
    return {module_name(line) for line in lines if module_name(line)}


def module_data(path):
    """The module uncompressed: busybox's insmod may not read xz."""
    data = open(path, "rb").read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    return data


def module_depends(path):
    data = module_data(path)
    at = data.find(b"\x00depends=")
    if at < 0:
        return []
    value = data[at + len(b"\x00depends="):data.index(b"\x00", at + 1)].decode()
    return [m.replace("-", "_") for m in value.split(",") if m]


def load_order(paths, builtin, wanted):
    """Wanted modules and their dependencies, dependencies first."""
    order, seen = [], set()

    def visit(name):
        if name in seen or name in builtin:
            return
        seen.add(name)
        if name not in paths:
            sys.exit(f"mkimage: module '{name}' is not in the kernel package")
        for dep in module_depends(paths[name]):
            visit(dep)
        order.append(name)
    for m in wanted:
        visit(m)
    return order


class Cpio:
    """A cpio 'newc' archive, the initramfs format."""

    def __init__(self, f):
        self.f, self.ino = f, 1

    def add(self, name, mode, data=b""):
        name_b = name.encode() + b"\x00"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        self.ino += 1
        self.f.write(hdr.encode() + name_b)
        self.f.write(b"\x00" * (-(110 + len(name_b)) % 4))
        self.f.write(data)
        self.f.write(b"\x00" * (-len(data) % 4))

    def dir(self, name):
        self.add(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, perm=0o644):
        self.add(name, stat.S_IFREG | perm, data)

    def symlink(self, name, target):
        self.add(name, stat.S_IFLNK | 0o777, target.encode())

    def close(self):
        self.add("TRAILER!!!", 0)


def main():
    outdir, init = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    pkg = kernel_package()
    with tempfile.TemporaryDirectory(dir=outdir) as tmp:
        root = fetch_kernel(pkg, os.path.join(outdir, "kernel-cache"), tmp)
        # Debian 12 keeps modules in /lib/modules, Debian 13 (merged /usr) in
        # /usr/lib/modules.
        modroot = next((os.path.join(root, d) for d in ("usr/lib/modules", "lib/modules")
                        if os.path.isdir(os.path.join(root, d))), None)
        if not modroot:
            sys.exit(f"mkimage: {pkg} has no lib/modules or usr/lib/modules")
        version = os.listdir(modroot)[0]
        bzimage = os.path.join(root, "boot", f"vmlinuz-{version}")
        elf = extract_vmlinux(bzimage)
        if elf:
            with open(os.path.join(outdir, "vmlinux.tmp"), "wb") as f:
                f.write(elf)
        else:
            shutil.copy(bzimage, os.path.join(outdir, "vmlinux.tmp"))

        moddir = os.path.join(modroot, version)
        paths = module_paths(moddir)
        order = load_order(paths, module_builtin(moddir), MODULES)
        with open(os.path.join(outdir, "initramfs.tmp"), "wb") as f:
            c = Cpio(f)
            for d in ("dev", "proc", "sys", "tmp", "run", "usr", "etc", "modules", "busybox",
                      "tg-job", "host-etc", "root", "var", "mnt"):
                c.dir(d)
            # Merged /usr, as on the host: these resolve once /usr is mounted.
            for link in ("bin", "sbin", "lib", "lib64"):
                c.symlink(link, f"usr/{link}")
            # As on Debian: daemons (libvirtd) and their clients meet in /run.
            c.symlink("var/run", "../run")
            c.dir("var/tmp")
            c.file("busybox/busybox", open(BUSYBOX, "rb").read(), 0o755)
            c.file("init", open(init, "rb").read(), 0o755)
            for name in order:
                c.file(f"modules/{name}.ko", module_data(paths[name]))
            c.file("modules/order", ("\n".join(order) + "\n").encode())
            c.close()
    os.replace(os.path.join(outdir, "vmlinux.tmp"), os.path.join(outdir, "vmlinux"))
    os.replace(os.path.join(outdir, "initramfs.tmp"), os.path.join(outdir, "initramfs.cpio"))
    with open(os.path.join(outdir, "kernel-version"), "w") as f:
        f.write(f"{version} ({pkg}, {'vmlinux/PVH' if elf else 'bzImage'})\n")


if __name__ == "__main__":
    main()
