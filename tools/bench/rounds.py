"""What a bench row's rounds resolve, shared by bench.py and row_claude.py."""


def middle_half(values):
    """The middle half of values (its 1st to 3rd quartile, by order): for n independent
    rounds, an interval that holds their true median with a probability set by n alone,
    whatever the noise's shape (87.5% for 7 rounds, 89% for 10, 93% for 11)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 4], ordered[(3 * len(ordered)) // 4]
