"""Label sets of the codebook (shared/codebook.md): dimensions, label names and titles."""

from __future__ import annotations

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "jonkoping-2030": (
        "framja_halsa",
        "samverkan_kontinuitet",
        "forandrade_arbetssatt",
        "starkta_forutsattningar",
    ),
    "jamtland-2023": (
        "delaktighet",
        "kontinuitet",
        "tillganglighet",
        "halsoframjande",
        "samordning_samverkan",
    ),
    "target_groups": ("barn_unga", "psykiatri_missbruk", "aldre"),
}

LABEL_TITLES: dict[str, dict[str, str]] = {
    "framja_halsa": {
        "sv": "Riktat stöd till att främja hälsa och förebygga ohälsa",
        "en": "Targeted support to promote health and prevent ill-health",
    },
    "samverkan_kontinuitet": {
        "sv": "Samverkan och kontinuitet för invånare med komplexa behov",
        "en": "Collaboration and continuity for residents with complex needs",
    },
    "forandrade_arbetssatt": {"sv": "Förändrade arbetssätt", "en": "New ways of working"},
    "starkta_forutsattningar": {"sv": "Stärkta förutsättningar", "en": "Stronger preconditions"},
    "delaktighet": {"sv": "Ökad delaktighet", "en": "Increased participation"},
    "kontinuitet": {"sv": "Kontinuitet", "en": "Continuity"},
    "tillganglighet": {"sv": "Tillgänglighet", "en": "Accessibility"},
    "halsoframjande": {
        "sv": "Hälsofrämjande och förebyggande fokus",
        "en": "Health promotion and prevention",
    },
    "samordning_samverkan": {
        "sv": "Samordning och samverkan",
        "en": "Coordination and collaboration",
    },
    "barn_unga": {"sv": "Barn och unga", "en": "Children and young people"},
    "psykiatri_missbruk": {"sv": "Psykiatri och missbruk", "en": "Psychiatry and addiction"},
    "aldre": {"sv": "Äldre", "en": "Older people"},
}

#: Every label of every dimension, in dimension order then codebook order.
ALL_LABELS: tuple[str, ...] = tuple(label for labels in DIMENSIONS.values() for label in labels)

#: Label -> the dimension it belongs to (label names are unique across dimensions).
LABEL_DIMENSION: dict[str, str] = {
    label: dimension for dimension, labels in DIMENSIONS.items() for label in labels
}
