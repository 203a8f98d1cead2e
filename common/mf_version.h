/*  mf_version: the version every program and image reports. */
#ifndef MF_VERSION_H
#define MF_VERSION_H

#ifndef MF_VERSION
#define MF_VERSION "0.1.0"
#endif

#endif
