/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the running kernel offers, found by probing its BTF, never by its
 * version. Shared by the sensor and the bench's empty-program floor, so
 * both attach to the same hooks.
 */
#ifndef WARDEN_KFEATURE_H
#define WARDEN_KFEATURE_H

/*
 * 1 when the kernel has the sock_send_length and sock_recv_length
 * tracepoints as BTF-typed ones (tp_btf), 0 when not, -errno when its BTF
 * cannot be read.
 */
int kfeature_sock_length_tracepoints(void);

#endif
