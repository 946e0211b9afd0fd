"""config.py — the demo model's configuration, shared by training, export and evaluation."""

# 32 px images, VAE downsampling 4 (3 levels) -> 8x8 latent; 8 scales, L = 204 tokens.
# (64 px with downsampling 8 was tried first: on 2 shared cores the VAE reached only ~190 steps
# in 9 minutes at 12.7 dB, so the resolution was halved to make every step ~3.5x cheaper.)
# Dense schedule: every scale one step finer than the last, so when the transformer fills a hole at
# scale k it sees the surroundings at nearly that resolution (scale k-1).  With (1,2,3,4,6,8) the
# textures of the first family (periods 8-16 px, 2-4 tokens) first appeared at the 8x8 scale, whose
# surroundings are never shown to the model, and in-painting had to guess its phase.
# (1..8) is the only increasing schedule from 1 with 8 scales and 204 tokens, so the C loader
# derives it from the checkpoint without being told.
PATCH_NUMS = (1, 2, 3, 4, 5, 6, 7, 8)
IMAGE_SIZE = 32

# GroupNorm always has 32 groups (the original's convention, which the C library follows).  With 32
# channels every group is a single channel, i.e. instance normalisation: the decoder's norm_out then
# erases the absolute level of every channel and flat colours cannot be reproduced (a first run with
# ch_mult (1,1,2) plateaued at 13 dB).  The full-resolution level therefore has 96 channels (3 per
# group); the 16x16 level has 32 (cheap, and its norms sit on residual branches only) and the 8x8
# level 96 (the encoder's norm_out is there).
VAE_CFG = dict(vocab=256, cv=16, ch=32, ch_mult=(3, 1, 3), num_res_blocks=1)
# train_vae.py --crop-frac: optional training on 16x16 crops (4x cheaper), quantised with the schedule
# of a 4x4 latent (not used for the shipped model).
CROP = 16
CROP_PATCH_NUMS = (1, 2, 3, 4)
VAR_CFG = dict(vocab=256, cv=16, depth=4, width=128, heads=2, num_classes=6)
