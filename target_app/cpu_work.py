"""The CPU scenario's work, in a module of its own: the process pool's children import only
this (not FastAPI) to run it."""


def sum_of_squares(n: int) -> int:
    """0² + 1² + ... + (n-1)², the slow way: a pure-Python loop that holds the GIL throughout."""
    total = 0
    for i in range(n):
        total += i * i
    return total
