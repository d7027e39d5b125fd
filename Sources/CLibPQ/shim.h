#ifndef HROMADA_CLIBPQ_SHIM_H
#define HROMADA_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <poll.h>
#endif
