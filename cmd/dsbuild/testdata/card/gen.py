# Writes conversations.jsonl: a small, clearly fabricated table in the
# conversation schema (docs/conversation-schema.md) with a `part` column, for
# the card and review tests. Deterministic; run from this folder.
import hashlib, json

HOSTILE = '</script><img src=x onerror=alert(1)>'
parts = [
    # part, source, license, upstream, category, count, tactics
    ("support", "esconv", "CC-BY-NC-4.0", "Dantoro/project_therapy@72f2ccd4:datasets/custom_corpus/esconv_data/train.json", "support", 30, [None]),
    ("failed", "esconv_failed", "CC-BY-NC-4.0", "thu-coai/Emotional-Support-Conversation@bff7f6bb:FailedESConv.json", "failed", 25, [None]),
    ("crisis", "synthetic", "CC0-1.0", "dsbuild/dsbuild@fixture:recipes/templates/crisis", "crisis", 10, ["disclosure", "indirect"]),
    ("crisis", "empathy_mental_health", "LicenseRef-Althoff-academic", "behavioral-data/Empathy-Mental-Health@fixture:dataset/emotional-reactions-reddit.csv", "crisis", 8, [None]),
    ("adversarial", "synthetic", "CC0-1.0", "dsbuild/dsbuild@fixture:recipes/templates/adversarial", "adversarial", 12, ["roleplay", "jailbreak", "authority"]),
    ("boundary", "synthetic", "CC0-1.0", "dsbuild/dsbuild@fixture:recipes/templates/boundary", "boundary", 12, ["diagnosis", "medication"]),
    ("emotional", "empathetic_dialogues", "CC-BY-NC-4.0", "wlr737/EMNLP2022-SEEK@2ca7ef1f:data/ED/train.csv", "emotional", 20, [None]),
    ("validation", "synthetic", "CC0-1.0", "dsbuild/dsbuild@fixture:recipes/templates/validation", "validation", 6, ["flattery"]),
    ("meta", "synthetic", "CC0-1.0", "dsbuild/dsbuild@fixture:recipes/templates/meta", "meta", 6, ["self_reflection"]),
]
rows = []
for part, source, lic, up, cat, n, tactics in parts:
    for i in range(n):
        sid = f"{part}-{i}"
        tactic = tactics[i % len(tactics)]
        text0 = f"Fabricated {part} opener {i}: I feel stuck, \"quoted\", with a comma."
        if part == "adversarial" and i == 0:
            text0 = HOSTILE + " & <b>bold</b> 'single' \"double\""
        turns = [
            {"turn": 0, "role": "user", "text": text0, "strategy": None},
            {"turn": 1, "role": "assistant", "text": f"Fabricated reply {i}.\nSecond line.", "strategy": "Question" if source.startswith("esconv") else None},
            {"turn": 2, "role": "user", "text": f"Follow-up {i} — ünïcödé ✓", "strategy": None},
        ]
        quality = {"empathy": 4.0 + (i % 2), "relevance": 5.0} if source.startswith("esconv") else None
        rows.append({
            "conversation_id": hashlib.sha256(f"{source}/{sid}".encode()).hexdigest(),
            "source": source, "source_id": sid,
            "split": ["train", "valid", "test"][i % 3],
            "license": lic, "upstream": up, "language": "en", "category": cat,
            "situation": HOSTILE if (part == "adversarial" and i == 0) else f"situation {i}",
            "emotion": "anxiety" if i % 2 else None,
            "problem_type": "job crisis" if source == "esconv" else None,
            "quality": quality, "turns": turns,
            "tactic": tactic, "risk_level": "high" if part == "crisis" and tactic else None,
            "expected_behavior": "refer to crisis line" if part == "crisis" and tactic else None,
            "escalation_turn": 2 if tactic else None,
            "part": part,
        })
with open("conversations.jsonl", "w") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(rows))
