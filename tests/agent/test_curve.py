import numpy as np
from PIL import Image

from deskpilot.agent.curve import draw_curve


def test_the_curve_plots_mean_and_worst_task_where_their_values_are(tmp_path):
    rows = [
        {"minutes": 5, "mean": 0.5, "worst": 0.1, "tasks": {}},
        {"minutes": 10, "mean": 0.8, "worst": 0.4, "tasks": {}},
        {"minutes": 20, "mean": 1.0, "worst": 0.9, "tasks": {}},
    ]
    img = np.asarray(Image.open(draw_curve(rows, tmp_path / "c.png")).convert("RGB")).astype(int)
    h, top, bottom, left, right = img.shape[0], 50, 60, 70, 30

    def colour_at(x_frac: float, y: float) -> tuple[int, ...]:
        x = round(left + x_frac * (img.shape[1] - left - right))
        row = round(top + (1 - y) * (h - top - bottom))
        return tuple(img[row, x])

    blue, red = (31, 119, 180), (214, 39, 40)
    assert colour_at(0.0, 0.5) == blue and colour_at(0.0, 0.1) == red
    assert colour_at(0.5, 0.8) == blue and colour_at(0.5, 0.4) == red  # log scale: 10 is halfway
    assert colour_at(1.0, 0.9) == red
