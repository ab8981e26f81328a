"""Stage 5: verification. Reproduction check against the published figures, audit of the
2021 report, and the calibration of the synthetic twin."""
