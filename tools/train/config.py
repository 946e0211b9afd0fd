"""config.py — the demo model's configuration, shared by training, export and evaluation."""

# 32 px images, VAE downsampling 4 (3 levels) -> 8x8 latent; 6 scales, L = 130 tokens.
# (64 px with downsampling 8 was tried first: on 2 shared cores the VAE reached only ~190 steps
# in 9 minutes at 12.7 dB, so the resolution was halved to make every step ~3.5x cheaper.)
# (1,2,3,4,6,8) is the only increasing schedule from 1 with 6 scales and 130 tokens, so the
# C loader derives it from the checkpoint without being told.
PATCH_NUMS = (1, 2, 3, 4, 6, 8)
IMAGE_SIZE = 32

# GroupNorm always has 32 groups (the original's convention, which the C library follows).  With 32
# channels every group is a single channel, i.e. instance normalisation: the decoder's norm_out then
# erases the absolute level of every channel and flat colours cannot be reproduced (a first run with
# ch_mult (1,1,2) plateaued at 13 dB).  The full-resolution level therefore has 96 channels (3 per
# group); the 16x16 level has 32 (cheap, and its norms sit on residual branches only) and the 8x8
# level 96 (the encoder's norm_out is there).
VAE_CFG = dict(vocab=256, cv=16, ch=32, ch_mult=(3, 1, 3), num_res_blocks=1)
# The VAE is fully convolutional: most of its training runs on 16x16 crops (4x cheaper), quantised
# with the schedule of a 4x4 latent, and only the last part on whole images with PATCH_NUMS.
CROP = 16
CROP_PATCH_NUMS = (1, 2, 3, 4)
VAR_CFG = dict(vocab=256, cv=16, depth=4, width=128, heads=2, num_classes=6)
