"""The offline classifier: training, per-language predictions, confidence, save/load and hot reload."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import joblib
import numpy as np
import pytest

from bot.classify import training
from bot.classify.local import LocalClassifier, ReloadingLocalClassifier, load_or_train
from bot.classify.training import seed_examples, seed_hash
from bot.domain.rules import LABELS

# Clear, hand-written examples (not seeds) per language and department. Every seed language must
# appear here: a new seeds/xx.jsonl without examples fails `test_every_seed_language_is_tested`.
CLEAR: dict[str, dict[str, str]] = {
    "en": {
        "product": "The app crashes with an error every time I open settings after the update",
        "support": "I was charged twice for my order and still have no refund, please help",
        "hr": "Terrible management and low salary, the work-life balance at this company is awful",
        "sales": "How much does the business plan cost? Can I get a quote for 50 licenses?",
        "none": "Happy Friday everyone! Enjoy the sunshine",
    },
    "de": {
        "product": "Die App stürzt nach dem Update ständig ab, bitte den Fehler beheben",
        "support": "Mein Paket ist nie angekommen und ich warte auf die Rückerstattung",
        "hr": "Schlechte Führung, niedriges Gehalt und ständig Überstunden in dieser Firma",
        "sales": "Was kostet der Business-Tarif? Gibt es Mengenrabatt für 50 Lizenzen?",
        "none": "Schönes Wochenende euch allen, genießt die Sonne!",
    },
    "fr": {
        "product": "L'application plante après la mise à jour, merci de corriger ce bug",
        "support": "Mon colis n'est jamais arrivé et j'attends toujours mon remboursement",
        "hr": "Management toxique, salaire bas et heures sup permanentes dans cette entreprise",
        "sales": "Combien coûte la formule business ? Un devis pour 50 licences ?",
        "none": "Bon week-end à tous, profitez du soleil !",
    },
    "pl": {
        "product": "Aplikacja ciągle się zawiesza po aktualizacji, napraw ten błąd",
        "support": "Moja paczka nie dotarła, a nadal czekam na zwrot pieniędzy",
        "hr": "Fatalne kierownictwo, niskie wynagrodzenie i ciągłe nadgodziny w tej firmie",
        "sales": "Ile kosztuje pakiet biznesowy? Poproszę wycenę na 50 licencji",
        "none": "Miłego weekendu wszystkim!",
    },
    "ru": {
        "product": "Приложение вылетает после обновления, исправьте ошибку",
        "support": "Моя посылка не пришла, а возврат денег до сих пор не сделали",
        "hr": "Ужасное руководство, низкая зарплата и постоянные переработки в этой компании",
        "sales": "Сколько стоит бизнес тариф? Нужна цена на 50 лицензий",
        "none": "Всем хороших выходных!",
    },
    "no": {
        "product": "Appen krasjer hele tiden etter oppdateringen, fiks feilen",
        "support": "Pakken min kom aldri frem, og jeg venter fortsatt på refusjon",
        "hr": "Jobbet der i to år: elendig ledelse, lav lønn og mye overtid. Anbefaler ikke arbeidsgiveren.",
        "sales": "Hva koster bedriftsabonnementet? Kan dere gi et tilbud på 50 lisenser?",
        "none": "God helg alle sammen!",
    },
    "es": {
        "product": "La aplicación se cierra sola después de la actualización, arreglen el error",
        "support": "Mi paquete nunca llegó y sigo esperando el reembolso",
        "hr": "Pésima dirección, sueldo bajo y horas extra constantes en esta empresa",
        "sales": "¿Cuánto cuesta el plan empresarial? Quiero un presupuesto para 50 licencias",
        "none": "¡Feliz fin de semana a todos!",
    },
}
GIBBERISH = "qzx vbnm plok"


@pytest.fixture(scope="module")
def model() -> LocalClassifier:
    return LocalClassifier.train()


def seed_languages() -> list[str]:
    return sorted({row["lang"] for row in seed_examples()})


def test_seeds_are_balanced_and_valid() -> None:
    rows = seed_examples()
    assert {row["department"] for row in rows} == set(LABELS)
    assert {"en", "de", "fr"} <= set(seed_languages())
    for lang in ("en", "de", "fr"):
        per_label = {
            label: sum(r["lang"] == lang and r["department"] == label for r in rows) for label in LABELS
        }
        assert min(per_label.values()) >= (60 if lang == "en" else 25), (lang, per_label)
    assert all(r["sentiment"] in ("positive", "neutral", "negative") for r in rows)
    assert all(r["urgency"] in ("low", "normal", "high") for r in rows)


def test_every_seed_language_is_tested() -> None:
    assert set(seed_languages()) <= set(CLEAR), "add clear examples for new seed languages to CLEAR"


@pytest.mark.parametrize("lang", sorted(CLEAR))
def test_clear_examples_get_their_department_and_language(model: LocalClassifier, lang: str) -> None:
    if lang not in seed_languages():
        pytest.fail(f"CLEAR has {lang!r} but there is no seeds/{lang}.jsonl")
    for department, text in CLEAR[lang].items():
        result = model.classify(text)
        assert result.department == department, (lang, text, result.reason)
        assert result.language == lang, (text, result.language)
        assert result.classifier == "local" and result.model == model.version
        assert set(result.scores) == set(LABELS)
        assert abs(sum(result.scores.values()) - 1.0) < 1e-6
        assert result.reason.startswith(f"local model: {department} ")


def test_training_is_deterministic(model: LocalClassifier) -> None:
    again = LocalClassifier.train()
    texts = [text for per_lang in CLEAR.values() for text in per_lang.values()]
    assert [r.scores for r in again.classify_many(texts)] == [r.scores for r in model.classify_many(texts)]


def test_single_and_batch_paths_agree(model: LocalClassifier) -> None:
    texts = [CLEAR["en"]["support"], CLEAR["fr"]["sales"], "", GIBBERISH]
    batch = model.classify_many(texts)
    for text, from_batch in zip(texts, batch, strict=True):
        single = model.classify(text)
        assert single.department == from_batch.department
        assert np.allclose(list(single.scores.values()), list(from_batch.scores.values()), atol=1e-5)


def test_confidence_is_higher_on_clear_text_than_on_gibberish(model: LocalClassifier) -> None:
    vague = model.classify(GIBBERISH)
    assert 0.0 <= vague.confidence <= 1.0
    for text in CLEAR["en"].values():
        result = model.classify(text)
        assert 0.0 <= result.confidence <= 1.0
        assert result.confidence > vague.confidence, (text, result.confidence, vague.confidence)


def test_sentiment_urgency_topics_and_summary(model: LocalClassifier) -> None:
    text = "@AirFast You lost my luggage and my medication is inside. Nobody answers the phone! Day 3."
    result = model.classify(text)
    assert result.department == "support"
    assert result.sentiment == "negative"
    assert result.urgency == "high"
    assert "luggage" in result.topics and len(result.topics) <= 3
    assert result.summary == "You lost my luggage and my medication is inside."
    praise = model.classify("Thank you so much, the crew were wonderful and the flight was lovely!")
    assert praise.sentiment == "positive" and praise.urgency == "low"
    assert len(model.classify("word " * 200).summary) <= 140


def test_a_negative_needs_the_floor_of_its_own_language(model: LocalClassifier, tmp_path: Path) -> None:
    assert set(model.meta["negative_floors"]) == set(CLEAR)  # one floor per seed language
    english = "This is the worst app ever, terrible, it crashes all the time"
    french = "Application horrible, elle plante tout le temps, vraiment nulle"
    assert model.classify(english).sentiment == model.classify(french).sentiment == "negative"
    model.save(tmp_path / "model.joblib")
    state = joblib.load(tmp_path / "model.joblib")
    state["meta"] = {**state["meta"], "negative_floor": 0.0, "negative_floors": {"en": 0.999}}
    joblib.dump(state, tmp_path / "strict-en.joblib")
    strict_english = LocalClassifier.load(tmp_path / "strict-en.joblib")
    assert strict_english.classify(english).sentiment != "negative"
    assert strict_english.classify(french).sentiment == "negative"  # no floor of its own: the global one


def test_extra_examples_teach_the_model() -> None:
    text = "zorblat quuxification again"
    extra = [(f"zorblat quuxification {i}", "hr") for i in range(8)]
    trained = LocalClassifier.train(extra)
    assert trained.classify(text).department == "hr"
    assert trained.meta["extra"] == 8


def test_save_load_round_trip(model: LocalClassifier, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "model.joblib"
    model.save(path)
    loaded = LocalClassifier.load(path)
    text = CLEAR["de"]["support"]
    assert loaded.classify(text) == model.classify(text)
    assert loaded.classify(text).scores == model.classify(text).scores
    assert [p.name for p in path.parent.iterdir()] == ["model.joblib"]  # no temp files left behind


def test_load_or_train_uses_the_cache_and_retrains_on_garbage(model: LocalClassifier, tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    model.meta["marker"] = "cached"
    model.save(path)
    assert load_or_train(path).meta.get("marker") == "cached"
    path.write_bytes(b"not a model")
    rebuilt = load_or_train(path)
    assert rebuilt.meta["seed_hash"] == seed_hash() and "marker" not in rebuilt.meta
    assert LocalClassifier.load(path).meta["seed_hash"] == seed_hash()
    del model.meta["marker"]


def test_reloading_classifier_picks_up_a_new_model(model: LocalClassifier, tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    model.save(path)
    reloading = ReloadingLocalClassifier(path, check_every=0.0)
    text = "zorblat quuxification"
    before = reloading.classify(text)
    LocalClassifier.train([(f"zorblat quuxification {i}", "sales") for i in range(8)]).save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    after = reloading.classify(text)
    assert after.department == "sales"
    assert after.scores != before.scores
    assert reloading.classify_many([text])[0].department == "sales"


def test_the_seed_hash_covers_all_the_code_training_runs() -> None:
    """A model trained by other code (a new cue word, another calibrator) must not load as current:
    every bot.classify module that training imports, directly or not, is part of the seed hash."""
    package = Path(training.__file__).parent
    seen: set[str] = set()
    todo = ["training"]
    while todo:
        name = todo.pop()
        seen.add(name)
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.classify."):
                module = str(node.module).rsplit(".", 1)[1]
                if module not in seen:
                    todo.append(module)
    assert {f"{name}.py" for name in seen} <= set(training.TRAINING_CODE)


def test_retraining_reuses_the_calibration_of_a_model_it_loaded(
    model: LocalClassifier, tmp_path: Path
) -> None:
    """Calibration is ~40 s of cross-validation that only the seeds and the code decide: a worker that
    loaded its model from disk retrains on corrections without redoing it (another build's is ignored)."""
    model.save(tmp_path / "model.joblib")
    state = joblib.load(tmp_path / "model.joblib")
    marked = {**state["meta"], "negative_floor": 0.123}
    try:
        joblib.dump({**state, "meta": {**marked, "seed_hash": "another-build"}}, tmp_path / "other.joblib")
        LocalClassifier.load(tmp_path / "other.joblib")
        assert LocalClassifier.train([("zorblat quux", "hr")]).meta["negative_floor"] != 0.123
        joblib.dump({**state, "meta": marked}, tmp_path / "marked.joblib")
        LocalClassifier.load(tmp_path / "marked.joblib")
        assert LocalClassifier.train([("zorblat quux", "hr")]).meta["negative_floor"] == 0.123
    finally:
        training.remember_calibration(model.meta)  # later tests in this process get the real one back
