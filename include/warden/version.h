/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WARDEN_VERSION_H
#define WARDEN_VERSION_H

#ifndef WARDEN_VERSION
#define WARDEN_VERSION "0.1.0-dev"
#endif

#endif
