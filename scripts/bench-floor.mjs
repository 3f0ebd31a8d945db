// The physical floor of a frozen window, for npm run bench: the same work as a local-engine
// snapshot, done by one process with raw system calls and nothing else. Run by Bun (bun:ffi):
//   bun scripts/bench-floor.mjs '{"mounts":[...],"images":[...],"cloneDir":"..."}'
// sync(2); then, timed: FIFREEZE every mount (one wave), FICLONE every disk image into
// cloneDir, FITHAW every mount. Prints {"windowMs","freezeMs","cloneMs","thawMs"} and removes
// its clones (untimed). Nothing here is shipped: it is the yardstick the agent is held to.
import { dlopen, read } from 'bun:ffi';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const FIFREEZE = 0xc0045877n;
const FITHAW = 0xc0045878n;
const FICLONE = 0x40049409n; // _IOW(0x94, 9, int)
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_CLOEXEC = 0o2000000;

const { symbols: c } = dlopen('libc.so.6', {
  open: { args: ['cstring', 'i32', 'u32'], returns: 'i32' },
  ioctl: { args: ['i32', 'u64', 'u64'], returns: 'i32' },
  close: { args: ['i32'], returns: 'i32' },
  sync: { args: [], returns: 'void' },
  __errno_location: { args: [], returns: 'ptr' },
});

const cstr = (s) => Buffer.from(`${s}\0`);
function must(r, what) {
  if (r < 0) throw new Error(`${what}: errno ${read.i32(c.__errno_location(), 0)}`);
  return r;
}

const { mounts, images, cloneDir } = JSON.parse(process.argv[2]);
const clones = images.map((_, i) => join(cloneDir, `floor-${process.pid}-${i}.img`));
c.sync();
const fds = [];
let t1 = 0;
let t2 = 0;
const t0 = Bun.nanoseconds();
try {
  for (const m of mounts) {
    const fd = must(c.open(cstr(m), O_RDONLY | O_CLOEXEC, 0), `open ${m}`);
    fds.push(fd);
    must(c.ioctl(fd, FIFREEZE, 0n), `FIFREEZE ${m}`);
  }
  t1 = Bun.nanoseconds();
  images.forEach((img, i) => {
    const src = must(c.open(cstr(img), O_RDONLY | O_CLOEXEC, 0), `open ${img}`);
    const dst = must(
      c.open(cstr(clones[i]), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600),
      `open ${clones[i]}`,
    );
    must(c.ioctl(dst, FICLONE, BigInt(src)), `FICLONE ${img}`);
    c.close(src);
    c.close(dst);
  });
  t2 = Bun.nanoseconds();
} finally {
  for (const fd of fds) {
    c.ioctl(fd, FITHAW, 0n);
    c.close(fd);
  }
}
const t3 = Bun.nanoseconds();
for (const f of clones) rmSync(f, { force: true });
const ms = (a, b) => (b - a) / 1e6;
console.log(
  JSON.stringify({
    windowMs: ms(t0, t3),
    freezeMs: ms(t0, t1),
    cloneMs: ms(t1, t2),
    thawMs: ms(t2, t3),
  }),
);
