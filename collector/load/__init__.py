"""The load: vegeta attacks, their results filtered as they stream, CPU and memory sampled beside
them, background mixes and the capacity search."""
