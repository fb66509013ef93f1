"""`python -m perf.cli`: Ctrl-C and SIGTERM are taken before the slow imports."""

from perf.base import interrupts

interrupts.install()

from perf.cli.root import main  # noqa: E402

main()
