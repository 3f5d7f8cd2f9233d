"""Trident (image-level method) and SCLIP's area_thd with tiny random models of the real classes.

The transcriptions below are written from reading YuHengsss/Trident (commit a93b346):
open_clip/transformer.py (``custom_attn``, ``guidance_attn``, ``get_sam_sim``),
trident.py (``get_trident_seg``) and seg_utils/utils.py (``preprocess_image``).
"""
import pytest
import torch
import torch.nn.functional as F

from proxyseg.errors import ConfigError
from proxyseg.models import OpenVocabSegmenter, build_vfm
from proxyseg.models.open_vocab import build_segmenter, drop_small_classes
from proxyseg.ops.trident import sam_guidance_weights, trident_input_size

TINY_DINO16 = dict(type="dino", arch="b16", model_kwargs=dict(embed_dim=48, depth=2, num_heads=3))
TINY_SAM = dict(type="sam", arch="b", model_kwargs=dict(img_size=64, embed_dim=32, depth=2, num_heads=2,
                                                       global_attn_indexes=(1,), window_size=4, neck_chans=16))


@pytest.fixture(scope="module")
def vfms():
    torch.manual_seed(0)
    dino = build_vfm(TINY_DINO16, pretrained=False)
    sam = build_vfm(TINY_SAM, pretrained=False)
    with torch.no_grad():  # random relative positions (timm zero-initialises them)
        for blk in sam.model.blocks:
            if blk.attn.use_rel_pos:
                blk.attn.rel_pos_h.normal_(0, 0.5)
                blk.attn.rel_pos_w.normal_(0, 0.5)
    return dino, sam


@pytest.fixture(scope="module")
def trident(tiny_clip, vfms):
    dino, sam = vfms
    return OpenVocabSegmenter(tiny_clip[0], tiny_clip[1], dino, classes=["cat; kitty", "dog", "sky"],
                              method="trident", guide_vfm=sam, slide_crop=48, slide_stride=32,
                              templates="a_photo").eval()


def ref_guidance(attn, v, cos_fac, cap=0.9, refine_neg_cos=True):
    """get_sam_sim as written: per-head cosine similarities, row threshold, masked mean, row-normalised."""
    vn = F.normalize(v, dim=-1)
    sim = torch.einsum("bhmc,bhnc->bhmn", vn, vn)
    thr = cos_fac * sim.mean(dim=1, keepdim=True).mean(dim=-1, keepdim=True)
    if not refine_neg_cos:
        thr = torch.where(thr < 0.0, 0.6, thr)
    thr = torch.where(thr > cap, cap, thr)
    a = torch.where(sim > thr, attn, torch.zeros_like(attn)).mean(dim=1)
    return a / a.sum(dim=-1, keepdim=True)


@pytest.mark.parametrize("cos_fac,refine", [(1.2, True), (0.0, True), (3.0, False), (-1.0, False)])
def test_guidance_weights_match_transcription(cos_fac, refine):
    torch.manual_seed(1)
    attn = torch.randn(2, 3, 20, 20).softmax(-1)
    v = torch.randn(2, 3, 20, 8) + 0.3  # a positive mean: thresholds above 0, some capped
    ours = sam_guidance_weights(attn, v, cos_fac=cos_fac, refine_neg_cos=refine)
    ref = ref_guidance(attn, v, cos_fac, refine_neg_cos=refine)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)
    assert torch.allclose(ours.sum(-1), torch.ones(2, 20))
    # the threshold does something: not the plain head-mean of the attention
    assert not torch.allclose(ours, attn.mean(1), atol=1e-3) or cos_fac <= 0


def test_trident_input_size_transcribes_preprocess_image():
    assert trident_input_size(336, 448, 16, 336) == (336, 448)  # multiples: unchanged
    assert trident_input_size(375, 500, 16, 336) == (384, 512)  # 500 -> 512, 375 * 512/500 = 384
    assert trident_input_size(100, 150, 16, 336) == (336, 336)  # at least the crop
    assert trident_input_size(341, 500, 16, 224) == (352, 512)  # int(349.18) = 349 -> 352


def test_sam_last_attention_is_the_blocks_attention(vfms):
    """Our attention @ values through the block's proj equals timm's own Attention forward."""
    _, sam = vfms
    m = sam.model
    px = torch.rand(1, 3, 64, 64)
    attn, v, (vh, vw) = sam.last_attention(px)
    assert (vh, vw) == (4, 4) and attn.shape == (1, 2, 16, 16) and v.shape == (1, 2, 16, 16)
    torch.testing.assert_close(attn.sum(-1), torch.ones(1, 2, 16))
    x, _ = sam.trident_input(px)
    with torch.no_grad():
        x = m.norm_pre(m.patch_embed(x) + m.pos_embed)
        for blk in m.blocks[:-1]:
            x = blk(x)
        last = m.blocks[-1]
        expected = last.attn(last.norm1(x)).reshape(1, 16, -1)
        ours = last.attn.proj((attn @ v).transpose(1, 2).reshape(1, 16, -1))
    torch.testing.assert_close(ours, expected, rtol=1e-4, atol=1e-5)


def test_sam_valid_grid_of_a_wide_image(vfms):
    _, sam = vfms
    attn, v, (vh, vw) = sam.last_attention(torch.rand(1, 3, 30, 64))  # long side -> 64, short 30
    assert (vh, vw) == (30 // 16, 4) and attn.shape[-1] == vh * vw and v.shape[2] == vh * vw
    assert torch.isfinite(attn).all() and (attn.sum(-1) <= 1 + 1e-5).all()  # rows cut to the valid keys


def reference_trident(seg, image, out_size, per_image_mean=True):
    """Trident's computation, window by window, written from the reference (see module doc)."""
    clip, vis = seg.clip, seg.clip.visual
    last = vis.transformer.resblocks[-1]
    p, crop, stride = 16, seg.slide_crop, seg.slide_stride
    h, w = image.shape[-2:]
    th, tw = trident_input_size(h, w, p, crop)
    img = F.interpolate(image[None], size=(th, tw), mode="bilinear", align_corners=False)
    hg, wg = max(th - crop + stride - 1, 0) // stride + 1, max(tw - crop + stride - 1, 0) // stride + 1
    dst = torch.zeros(1, vis.transformer.width, th // p, tw // p)
    cnt = torch.zeros(1, 1, th // p, tw // p)
    heads = last.attn.num_heads
    boxes = []
    for hi in range(hg):
        for wi in range(wg):
            y2, x2 = min(hi * stride + crop, th), min(wi * stride + crop, tw)
            boxes.append((max(y2 - crop, 0), y2, max(x2 - crop, 0), x2))
    # all windows are one batch in the reference: its PAM mean(S) is over every window's S
    allf = F.normalize(torch.cat([seg.vfm(seg.unnormalize(img[:, :, y1:y2, x1:x2]))
                                  for (y1, y2, x1, x2) in boxes]).flatten(2), dim=1)
    smean = torch.einsum("bcm,bcn->bmn", allf, allf).mean() if per_image_mean else None
    for (y1, y2, x1, x2) in boxes:
        win = img[:, :, y1:y2, x1:x2]
        feats = seg.vfm(seg.unnormalize(win))  # (1, C', gh, gw)
        x, (gh, gw) = clip.trunk(win)
        _, _, vv = F.linear(last.ln_1(x[:, 1:]), last.attn.in_proj_weight, last.attn.in_proj_bias).chunk(3, -1)
        f = F.normalize(feats.flatten(2), dim=1)
        s = torch.einsum("bcm,bcn->bmn", f, f)
        s = (s - (s.mean() if smean is None else smean) * seg.method.beta) * seg.method.gamma
        s[s < 0] = float("-inf")
        a = s.softmax(-1)
        vh = vv.reshape(1, gh * gw, heads, -1).permute(0, 2, 1, 3)  # (1, heads, N, d)
        o = (a.unsqueeze(1) @ vh).permute(0, 2, 1, 3).reshape(1, gh * gw, -1)
        o = last.attn.out_proj(o)
        dst[:, :, y1 // p:y2 // p, x1 // p:x2 // p] += o.transpose(1, 2).reshape(1, -1, gh, gw)
        cnt[:, :, y1 // p:y2 // p, x1 // p:x2 // p] += 1
    dst = dst / cnt
    px = seg.unnormalize(image[None])
    halves = [(px, dst)] if seg.method.sam_split == 1 else [  # the reference's Cityscapes case
        (px[..., :w // 2], dst[..., :dst.shape[-1] // 2]), (px[..., w // 2:], dst[..., dst.shape[-1] // 2:])]
    outs = []
    for hpx, hdst in halves:
        attn, v, (sh, swi) = seg.guide_vfm.last_attention(hpx)
        wts = ref_guidance(attn, v, seg.method.cos_fac)
        hdst = F.interpolate(hdst, size=(sh, swi), mode="bilinear", align_corners=False)
        hdst = hdst.reshape(1, heads, -1, sh * swi).permute(0, 1, 3, 2)  # per head, as guidance_attn
        outs.append((wts.unsqueeze(1) @ hdst).view(1, heads, sh, swi, -1))
    out = torch.cat(outs, dim=-2)  # halves side by side (width)
    sw = out.shape[-2]
    out = out.flatten(2, 3).permute(0, 2, 1, 3).reshape(1, sh * sw, -1)
    feats = F.normalize(vis.ln_post(out) @ vis.proj, dim=-1)
    logits = (feats @ seg.query_features.t()).transpose(1, 2).reshape(1, -1, sh, sw)
    return F.interpolate(logits, size=out_size, mode="bilinear", align_corners=False)[0]


@pytest.mark.parametrize("size,pam_mean,split", [((70, 100), "image", 1), ((64, 64), "image", 1),
                                                 ((40, 130), "image", 1), ((70, 100), "window", 1),
                                                 ((48, 128), "image", 2)])
def test_trident_matches_transcription(trident, size, pam_mean, split):
    from proxyseg.methods import build_method

    torch.manual_seed(2)
    image = torch.randn(3, *size)
    default = trident.method
    trident.method = build_method(dict(type="trident", pam_mean=pam_mean, sam_split=split))
    try:
        with torch.no_grad():
            ref = reference_trident(trident, image, size, per_image_mean=pam_mean == "image")
            ours = trident.predict_logits(image)
            other = reference_trident(trident, image, size, per_image_mean=pam_mean != "image")
    finally:
        trident.method = default
    assert (ours - other).abs().max() > 1e-4  # the two means differ on a multi-window image
    assert ours.shape == (len(trident.class_names.queries), *size)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-5)
    assert (ours.argmax(0) == ref.argmax(0)).float().mean() == 1.0


def test_trident_windows_are_batched_invariantly(trident):
    image = torch.randn(3, 70, 100)
    a = trident.predict_logits(image)
    trident.window_batch = 1
    try:
        b = trident.predict_logits(image)
    finally:
        trident.window_batch = 8
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_trident_config_reaches_model_and_needs_sam(tiny_clip, vfms):
    from proxyseg.models import tiny_clip_cfg

    seg = build_segmenter(clip=dict(model_cfg=tiny_clip_cfg()), vfm=TINY_DINO16, guide_vfm=TINY_SAM,
                          method=dict(type="trident", cos_fac=0.5, refine_neg_cos=False), classes=["a", "b"],
                          pretrained=False, text_cache_dir=None, templates="a_photo", slide_crop=48, slide_stride=32)
    assert seg.method.cos_fac == 0.5 and seg.method.refine_neg_cos is False
    assert seg.guide_vfm.vfm_type == "sam" and seg.guide_vfm.embed_dim == 16
    with pytest.raises(ConfigError, match="pam_mean"):
        build_segmenter(clip=dict(model_cfg=tiny_clip_cfg()), vfm=TINY_DINO16, guide_vfm=TINY_SAM, classes=["a"],
                        method=dict(type="trident", pam_mean="batch"), pretrained=False, text_cache_dir=None)
    with pytest.raises(ConfigError, match="sam_split"):
        build_segmenter(clip=dict(model_cfg=tiny_clip_cfg()), vfm=TINY_DINO16, guide_vfm=TINY_SAM, classes=["a"],
                        method=dict(type="trident", sam_split=3), pretrained=False, text_cache_dir=None)
    with pytest.raises(ConfigError, match="feature_adjust"):
        OpenVocabSegmenter(tiny_clip[0], tiny_clip[1], vfms[0], classes=["a"], method="trident", guide_vfm=vfms[1],
                           feature_adjust=True, templates="a_photo")
    with pytest.raises(ConfigError, match="guide_vfm"):
        OpenVocabSegmenter(tiny_clip[0], tiny_clip[1], vfms[0], classes=["a"], method="trident", templates="a_photo")
    dino = vfms[0]
    bad = OpenVocabSegmenter(tiny_clip[0], tiny_clip[1], dino, classes=["a"], method="trident", guide_vfm=dino,
                             templates="a_photo", slide_crop=48, slide_stride=32)
    with pytest.raises(ConfigError, match="SAM"):
        bad.predict_logits(torch.randn(3, 48, 48))


def test_drop_small_classes_is_sclips_rule():
    # 10 x 10 image, classes 0 (bg), 1 (60 px), 2 (30 px), 3 (10 px); foreground total 100
    pred = torch.zeros(10, 10, dtype=torch.long)
    pred.view(-1)[:60] = 1
    pred.view(-1)[60:90] = 2
    pred.view(-1)[90:] = 3
    probs = F.one_hot(pred, 4).permute(2, 0, 1).float() * 0.7 + 0.1  # (4, H, W), argmax = pred
    out = drop_small_classes(probs, 0.1)
    # class 3 covers exactly 10% of the foreground: not *more* than 0.1 x total -> dropped (0 prob)
    assert out[3].eq(0).all() and torch.equal(out[:3], probs[:3])
    assert out.argmax(0).view(-1)[90:].eq(0).all()  # its pixels fall to the next best (bg ties -> index 0)
    assert torch.equal(drop_small_classes(probs, 0.05), probs)  # 10% > 5%: kept


def test_area_thd_reaches_postprocess(make_segmenter):
    seg = make_segmenter(area_thd=0.5)
    logits = torch.zeros(4, 8, 8)  # queries: cat, kitty, dog, sky -> classes 0..2
    logits[2, :, :2] = 1.0  # dog on 2 of 8 columns (25% of the foreground)
    logits[3, :, 2:] = 1.0  # sky elsewhere
    _, mask = seg.postprocess(logits)
    assert not (mask == 1).any() and (mask[:, 2:] == 2).all()
    _, mask0 = make_segmenter().postprocess(logits)
    assert (mask0[:, :2] == 1).all()
    with pytest.raises(ConfigError, match="area_thd"):
        make_segmenter(area_thd=1.5)


def test_dense_clip_public_api_with_trident(tiny_clip, vfms):
    """``DenseCLIP(model)(images, mode='trident')``: the per-window part (proxy attention), (B, D, h, w)."""
    from proxyseg.models import DenseCLIP

    dense = DenseCLIP(tiny_clip[0]).eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        feats = vfms[0](x.sigmoid())
        out = dense(x, mode="trident", vfm_feats=feats)
        prox = dense(x, mode="proxyclip", vfm_feats=feats)
    assert out.shape == (2, 32, 4, 6)
    torch.testing.assert_close(out, prox)  # per window, Trident's last block is ProxyCLIP's
    with pytest.raises(ConfigError, match="needs vfm_feats"):
        dense(x, mode="trident")
