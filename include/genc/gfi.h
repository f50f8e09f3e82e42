/* Placeholder: being written. */
#ifndef GENC_GFI_H
#define GENC_GFI_H
#endif
