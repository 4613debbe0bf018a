"""The article's claims, measured: one module per question.

- ``clusters``: do encodings of the same digit sit together?
- ``coverage``: where do the codes live, and what lies between them?
- ``judge``: what does the judge read in an image: clear, questionable, the digit asked for?
- ``quality``: where the reconstruction error sits, grey pictures' BCE floor, a VAE's checkup;
- ``detection``: what log p(x) knows about data a model never saw;
- ``dynamics``: how a map forms while a model learns, epoch by epoch;
- ``directions``: a direction found from data (thicker, more slanted) and what moving along it does;
- ``degrees``: what the book's words of degree ("about", "far more", "most") mean.
"""

from .clusters import (cluster_report, knn_accuracy, mean_distance_between_classes, median_pair,
                       relative_distances, same_vs_different, silhouette)
from .coverage import (PRIOR_REPORT_ROWS, Gaps, between_regions, code_spacing, inside_prior,
                       nearest_distance, nearest_training, prior_gaps, prior_report)
from .degrees import DEGREES, Degree, degree, degree_table, ratio
from .directions import ATTRIBUTES, Steering, direction, slant, steer
from .dynamics import inside_shares, settled, spreads
from .detection import (auroc, complexity_corrected, complexity_correlations, complexity_report,
                        detection_report, ink, log_likelihoods, own_data_auroc, png_nats)
from .judge import (CLEAR_N, CLEAR_SEED, CLEAR_THRESHOLD, JUDGED_CLASSES, AskedFor, ClearShare,
                    Judge, class_split, clear_share, hesitations, judge_samples, read_as_asked,
                    top_two_share)
from .quality import bce_floor, checkup, dataset_report, edge_share, label_free_elbo, stroke_edges
