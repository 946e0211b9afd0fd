/* random_ckpt.h — checkpoints of the released layouts filled with random
 * weights, written as safetensors, for benchmarks (no download needed).
 * Names and shapes follow docs/algorithm.md §7 and appendices A/B. */
#ifndef VAR_RANDOM_CKPT_H
#define VAR_RANDOM_CKPT_H

#include <stdint.h>

/* A VAR transformer of the given depth (C = 64 depth, H = depth, MLP 4C,
 * V = 4096, Cv = 32, 1000 classes, shared AdaLN when depth == 36) for the
 * 256-px schedule (or 512-px when depth == 36).  0 on success. */
int random_var_checkpoint(const char *path, int depth, uint64_t seed);
/* The released VQ-VAE layout (ch 160, ch_mult 1,1,2,2,4, 2 res-blocks, V 4096, Cv 32). */
int random_vae_checkpoint(const char *path, uint64_t seed);

#endif
