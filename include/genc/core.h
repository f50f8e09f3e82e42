/* Placeholder: being written. */
#ifndef GENC_CORE_H
#define GENC_CORE_H
#endif
