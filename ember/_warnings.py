"""PyTorch computes inf/nan silently (x / 0, log(0), 0 * inf); NumPy warns. Silencing those
warnings per op with np.errstate costs ~2 us a call, so instead one warnings filter drops
NumPy's floating-point RuntimeWarnings when they are raised from ember's own code. The user's
own NumPy calls (module not ember.*) still warn as usual."""
import warnings

warnings.filterwarnings(
    "ignore", category=RuntimeWarning, module=r"ember(\.|$)",
    message=r"(divide by zero|invalid value|overflow|underflow) encountered")
