# Smoke test with a tiny random Stable-Diffusion-style UNet + VAE (needs proxyseg[diffusion]).
_base_ = ['./proxyclip_tiny_dino_smoke-coco-object.py']
model = dict(vfm=dict(
    _delete_=True, type='diffusion', arch='sd15', input_size=(32, 32), t=261, level=1,
    model_kwargs=dict(
        unet=dict(sample_size=8, block_out_channels=(8, 16), layers_per_block=1,
                  down_block_types=('CrossAttnDownBlock2D', 'DownBlock2D'),
                  up_block_types=('UpBlock2D', 'CrossAttnUpBlock2D'), cross_attention_dim=8,
                  attention_head_dim=2, norm_num_groups=4),
        vae=dict(block_out_channels=(8, 16), down_block_types=('DownEncoderBlock2D', ) * 2,
                 up_block_types=('UpDecoderBlock2D', ) * 2, layers_per_block=1, norm_num_groups=4,
                 latent_channels=4, sample_size=32))))
