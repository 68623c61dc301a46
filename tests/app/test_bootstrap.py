"""The production wiring: build_cascade joins the LLM when a key is set and feeds it stored corrections."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from bot.app.bootstrap import build_cascade
from bot.classify.corrections import record_correction
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.domain.text import text_hash
from bot.store.engine import session_scope
from bot.store.models import Mention
from tests.fakes.openai_server import FakeOpenAI, classification_body
from tests.harness import trained_model_path


def _store_corrected(engine: Engine, text: str, to: str) -> None:
    with session_scope(engine) as session:
        mention = Mention(source_id="ingest:c1", origin="ingest", text=text, text_hash=text_hash(text))
        mention.department = "support"
        session.add(mention)
        session.flush()
        assert record_correction(session, mention, to, "U0LEAD") is not None


def test_without_a_key_the_cascade_is_local_only(sqlite_engine: Engine, rules: RoutingRules) -> None:
    cascade = build_cascade(Settings(model_path=trained_model_path()), rules, sqlite_engine)
    assert cascade.llm is None
    assert cascade.classify("The app crashes when I open the camera").classifier == "local"


def test_corrections_reach_the_llm_as_few_shot_examples(
    sqlite_engine: Engine, rules: RoutingRules, tmp_path: Path
) -> None:
    _store_corrected(sqlite_engine, "Partnership offer for resellers in Poland", "sales")
    with FakeOpenAI() as fake:
        fake.queue(body=classification_body(department="sales"))
        settings = Settings(
            openai_api_key="sk-test",
            openai_base_url=fake.base_url,
            model_path=trained_model_path(),
            local_confident=1.01,  # nothing is confident enough: every text goes to the LLM
        )
        cascade = build_cascade(settings, rules, sqlite_engine)
        result = cascade.classify("Do you have a partnership offer for resellers in Norway?")
        assert result.classifier == "llm" and result.department == "sales"
        user_message = fake.bodies()[0]["messages"][-1]["content"]
        assert "Partnership offer for resellers in Poland" in user_message and '"sales"' in user_message
