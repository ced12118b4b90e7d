/*
 * faultio: the fault-injection workload of the test guest
 * (tests/suites/faults.sh, docs/security.md "Faults"). `faultio=SPEC` on
 * the command line runs it instead of the tests, on virtio-blk device 0.
 * SPEC is a comma-separated list of steps, run in order, each one request
 * waited for (polling, a queue of 8):
 *
 *   wS:N     one OUT of N sectors (1..128) from sector S
 *   rS:N     one IN of N sectors from sector S
 *   f        one FLUSH
 *   bS:N     an OUT of N sectors from S and a FLUSH, submitted with one kick
 *   uS:N     prints "faultio: u S+N waiting", then INs of S:N until one is
 *            not OK (at most 10^6), and that one's line (the host changes
 *            the image meanwhile)
 *   n        next round (the stamp below; rounds start at 1)
 *   cR:S:N   R cycles of { wS:N, f, n }
 *
 * Every sector written carries a stamp in its first 24 bytes: FAULTIO_MAGIC,
 * le64 sector, le64 round; the rest of the sector is whatever the buffer
 * held. Each request prints one line when it completes:
 *   faultio: w S+N round R -> OK|IOERR|UNSUPP   (r for IN)
 *   faultio: f round R -> OK|IOERR|UNSUPP
 * then "faultio: done, Q requests, E not OK". A request the device never
 * answers leaves the guest waiting (the host's watchdog sees it). The
 * workload writes any disk it is given: only for scratch images.
 * Exit status 0 when every request was OK, 1 otherwise.
 */
#ifndef GUEST_FAULTIO_H
#define GUEST_FAULTIO_H

#define FAULTIO_MAGIC "FAULTIO!"

int faultio_main(const char *spec);

#endif
