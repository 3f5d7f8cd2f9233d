"""Small framework-free helpers (file writes, CPU capabilities). No mmseg/mmcv/mmengine imports."""
