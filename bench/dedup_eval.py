"""Score the dedup index on a dev set of real bodies with scripted syndication edits and hard negatives.

    python -m bench.dedup_eval [--seed 7] [--reuters 500] [--templated 400]

The dev set is labelled by construction: one cluster per base story (AEB hand-marked bodies, Reuters
stories), holding the base and the copies made from it with the edits in ``bench/syndication.py`` (one to
three of them, plus an update one time in five, applied in the order an outlet would: ``EDIT_ORDER``). Hard
negatives are singletons: real Reuters earnings and dividend stories (one template, other figures and
companies), scripted sports results, weather reports and market closes, and Reuters stories on the same
companies written separately. Prints pairwise precision, recall, F1, the Adjusted Rand Index, templated pairs
merged, and the recall of each edit kind, for this index (clusters merged as the clusters topic shows them; and
the ARI without the merges) and for the baseline (plain MinHash LSH on Jaccard >= 0.7, the walking skeleton's
method) run on the same documents.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rensa import RMinHash, RMinHashLSH
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.cluster import pair_confusion_matrix

from bench import syndication
from workers.clean.normalize import content_hash
from workers.dedup import Decision, DedupIndex, DedupOptions

RESEND_CONTAINMENT = 0.5  # bases sharing this much of their exact shingles are one story re-sent or corrected
SHINGLE = 5


@dataclass(slots=True)
class Document:
    """One article of the dev set and what it was built as."""

    doc_id: str
    text: str
    label: int
    family: str  # "story", "templated" (a template's instance), or the copy's edits joined by "+"
    edits: list[str] = field(default_factory=list)


def _shingles(paragraphs: list[str]) -> set[str]:
    words = " ".join(paragraphs).lower().split()
    return {" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))}


def distinct(bases: list[dict]) -> list[dict]:
    """Drop bases that re-send an earlier one (Reuters holds re-sends and corrections)."""
    kept, owners = [], defaultdict(list)
    for base in bases:
        shingles = _shingles(base["paragraphs"])
        shared = Counter(owner for s in shingles for owner in owners[s])
        if any(count >= RESEND_CONTAINMENT * min(len(shingles), kept[o][1]) for o, count in shared.items()):
            continue
        for s in shingles:
            owners[s].append(len(kept))
        kept.append((base, len(shingles)))
    return [base for base, _ in kept]


def build(seed: int, n_reuters: int, n_templated: int) -> list[Document]:
    """The dev set, in a shuffled arrival order."""
    rng = random.Random(seed)
    reuters = list(syndication.reuters_bodies())
    templated = [s for s in reuters if syndication.TEMPLATED_TITLE.search(s["title"])]
    plain = [s for s in reuters if not syndication.TEMPLATED_TITLE.search(s["title"])]
    long_plain = [s for s in plain if sum(len(p.split()) for p in s["paragraphs"]) >= 120]
    aeb = [s for s in syndication.aeb_bodies() if sum(len(p.split()) for p in s["paragraphs"]) >= 50]
    sampled, sampled_templates = aeb + rng.sample(long_plain, n_reuters), rng.sample(templated, n_templated)
    # One pass over both: a "templated" story can be a re-send of a story of the set (their titles differ).
    kept = {id(base) for base in distinct(sampled + sampled_templates)}
    stories = [base for base in sampled if id(base) in kept]
    templates = [base for base in sampled_templates if id(base) in kept]
    scripted = [p for family in syndication.TEMPLATES for p in syndication.templated(family, rng, 40)]
    # An update adds new reporting, not the text of another story of the set (that would make a copy of that
    # story too, labelled as a copy of this one only).
    extra = [s for s in plain if s["id"] not in {base["id"] for base in stories}]
    docs: list[Document] = []
    for base in stories:
        docs += _with_copies(base["paragraphs"], len(docs), "story", rng, 0.7, extra)
    for paragraphs in [t["paragraphs"] for t in templates] + scripted:
        docs += _with_copies(paragraphs, len(docs), "templated", rng, 0.3, extra)
    rng.shuffle(docs)
    return docs


def _with_copies(
    paragraphs: list[str], label: int, family: str, rng: random.Random, copy_rate: float, extra: list[dict]
) -> list[Document]:
    docs = [Document(f"d{label}-0", "\n\n".join(paragraphs), label, family)]
    copies = rng.randint(1, 4) if rng.random() < copy_rate else 0
    for n in range(1, copies + 1):
        edits = rng.sample(sorted(syndication.EDITS), rng.randint(1, 3))
        added = rng.choice(extra)["paragraphs"] if rng.random() < 0.2 else []
        edits += ["update"] if added else []
        text = copy_of(paragraphs, edits, rng, added)
        docs.append(Document(f"d{label}-{n}", "\n\n".join(text), label, family, edits))
    return docs


def copy_of(paragraphs: list[str], edits: list[str], rng: random.Random, added: list[str]) -> list[str]:
    """A copy of a story, ``edits`` applied in the order an outlet makes them (``added``: the update's paragraphs)."""
    for edit in sorted(edits, key=syndication.EDIT_ORDER.index):
        if edit == "update":
            paragraphs = syndication.update(paragraphs, rng, added)
        else:
            paragraphs = syndication.EDITS[edit](paragraphs, rng)
    return paragraphs


def run_index(docs: list[Document], options: DedupOptions) -> list[Decision]:
    """The dedup index's decision on each document, in arrival order."""
    index = DedupIndex(options)
    return [index.decide(d.doc_id, content_hash(d.text), d.text, 0.0)[0] for d in docs]


def clusters_of(decisions: list[Decision], merges: bool = True) -> list[str]:
    """The cluster each document ends up in: the story view once the clusters a later copy showed to be one
    story are merged (as the clusters topic shows them), or, without ``merges``, the cluster each was put in."""
    merged_into = {merged: d.cluster_id for d in decisions for merged in d.merged} if merges else {}

    def final(cluster_id: str) -> str:
        while cluster_id in merged_into:
            cluster_id = merged_into[cluster_id]
        return cluster_id

    return [final(d.cluster_id) for d in decisions]


def run_baseline(docs: list[Document], threshold: float = 0.7) -> list[str]:
    """The walking skeleton's method: content hash, then MinHash LSH (32 bands) verified on Jaccard."""
    lsh, signatures, by_hash, clusters = RMinHashLSH(threshold=threshold, num_perm=128, num_bands=32), [], {}, []
    for key, doc in enumerate(docs):
        words = doc.text.lower().split()
        minhash = RMinHash(num_perm=128, seed=1)
        minhash.update([" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))])
        digest = content_hash(doc.text)
        best = max(((minhash.jaccard(signatures[c]), c) for c in lsh.query(minhash)), default=(0.0, -1))
        if digest in by_hash:
            clusters.append(clusters[by_hash[digest]])
        elif best[0] >= threshold:
            clusters.append(clusters[best[1]])
        else:
            clusters.append(doc.doc_id)
        by_hash.setdefault(digest, key)
        lsh.insert(key, minhash)
        signatures.append(minhash)
    return clusters


def report(name: str, docs: list[Document], predicted: list[str]) -> None:
    """Print the scores of one method."""
    labels = [d.label for d in docs]
    (_, fp), (fn, tp) = pair_confusion_matrix(labels, predicted) // 2
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    members = defaultdict(set)
    for doc, cluster in zip(docs, predicted, strict=True):
        if doc.family == "templated":
            members[cluster].add(doc.label)
    templated_merged = sum(len(ls) * (len(ls) - 1) // 2 for ls in members.values())
    print(f"\n{name}")
    print(f"  pairwise precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  (true pairs {tp + fn})")
    print(f"  adjusted Rand index {adjusted_rand_score(labels, predicted):.4f}")
    print(f"  templated negatives merged (pairs of distinct templated stories in one cluster): {templated_merged}")
    print(f"  false merges of distinct stories (pairs): {fp}")
    for edit, (caught, total) in sorted(_recall_by_edit(docs, predicted).items()):
        print(f"  copies with {edit:12s} caught {caught:4d}/{total:4d} ({caught / total:.3f})")


def _recall_by_edit(docs: list[Document], predicted: list[str]) -> dict[str, tuple[int, int]]:
    """Per edit kind: copies put in the cluster of their story's base document."""
    base_cluster = {d.label: c for d, c in zip(docs, predicted, strict=True) if d.doc_id.endswith("-0")}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, cluster in zip(docs, predicted, strict=True):
        for edit in doc.edits:
            counts[edit][0] += cluster == base_cluster[doc.label]
            counts[edit][1] += 1
    return {edit: (caught, total) for edit, (caught, total) in counts.items()}


def main(argv: list[str] | None = None) -> None:
    """Build the dev set, score the index and the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuters", type=int, default=500, help="Reuters stories used as bases")
    parser.add_argument("--templated", type=int, default=400, help="Reuters templated stories (hard negatives)")
    args = parser.parse_args(argv)
    docs = build(args.seed, args.reuters, args.templated)
    families = Counter(d.family for d in docs)
    copies = sum(1 for d in docs if d.edits)
    print(f"dev set: {len(docs)} documents, {len(set(d.label for d in docs))} stories, {copies} copies, {families}")
    decisions = run_index(docs, DedupOptions())
    report("dedup index (containment + numbers/names check, clusters merged)", docs, clusters_of(decisions))
    unmerged = adjusted_rand_score([d.label for d in docs], clusters_of(decisions, merges=False))
    print(f"  without the merges (the cluster each copy was first put in): adjusted Rand index {unmerged:.4f}")
    report("baseline (plain MinHash LSH, Jaccard >= 0.7)", docs, run_baseline(docs))


if __name__ == "__main__":
    main()
