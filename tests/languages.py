"""Short news articles in English, French and German, written for these tests, as raw records of page text.

Each names people, places and organisations in its headline and its body, so that a model of the article's
language finds entities in both, and another language's model would find some too.
"""

# ruff: noqa: RUF001 - the full-width commas of the Chinese paragraphs are Chinese punctuation, not typos

from __future__ import annotations

from typing import Any

ARTICLES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Macron and Scholz meet in Berlin over Ukraine aid",
        "text": (
            "BERLIN - French President Emmanuel Macron met German Chancellor Olaf Scholz in Berlin on Tuesday to "
            "discuss military aid for Ukraine, officials said.\n\n"
            "Macron told reporters that the European Union would keep supporting Kyiv for as long as it takes. "
            "Scholz said Germany would send more air defence systems before the winter.\n\n"
            "The two leaders also spoke with NATO Secretary General Mark Rutte by telephone, the chancellery said."
        ),
    },
    "fr": {
        "title": "Emmanuel Macron reçoit Olaf Scholz à l'Élysée",
        "text": (
            "PARIS - Le président Emmanuel Macron a reçu mardi le chancelier allemand Olaf Scholz à l'Élysée pour "
            "évoquer l'aide militaire à l'Ukraine, selon la présidence.\n\n"
            "Les deux dirigeants ont affirmé que l'Union européenne continuerait de soutenir Kiev aussi longtemps "
            "qu'il le faudrait. Macron a annoncé la livraison de nouveaux missiles avant la fin de l'année.\n\n"
            "Ils se sont aussi entretenus par téléphone avec le secrétaire général de l'OTAN, Mark Rutte, a "
            "précisé l'Élysée dans un communiqué publié à Paris."
        ),
    },
    "de": {
        "title": "Scholz empfängt Macron im Kanzleramt",
        "text": (
            "BERLIN - Bundeskanzler Olaf Scholz hat am Dienstag den französischen Präsidenten Emmanuel Macron im "
            "Kanzleramt empfangen. Nach Angaben der Bundesregierung ging es bei dem Treffen um die militärische "
            "Hilfe für die Ukraine.\n\n"
            "Die beiden Politiker sprachen mehrere Stunden lang über die Zukunft der Europäischen Union. Scholz "
            "sagte, Deutschland werde vor dem Winter weitere Systeme zur Luftverteidigung liefern.\n\n"
            "Anschließend telefonierten sie mit dem Generalsekretär der NATO, Mark Rutte, wie ein Sprecher mitteilte."
        ),
    },
}

# A Chinese article's paragraphs: a script without spaces between words.
CHINESE = [
    "新华社北京12月1日电 国务院总理李强1日在北京人民大会堂会见了来访的德国总理朔尔茨。"
    "双方就中德关系和共同关心的国际问题深入交换了意见。",
    "李强表示，中方愿同德方一道，落实两国领导人达成的重要共识，加强各领域务实合作，推动中德全方位战略伙伴关系持续向前发展。",
    "朔尔茨表示，德方重视对华关系，愿同中方保持高层交往，深化经贸、气候变化、绿色发展等领域合作，共同维护多边主义和自由贸易。",
    "会见后，两国总理共同出席了中德经济顾问委员会会议，并见证了多项合作文件的签署。外交部发言人在例行记者会上介绍了有关情况。",
]


def raw_article(language: str, run: str = "t") -> dict[str, Any]:
    """The raw record of the article in ``language``, under an id and url of its own."""
    article = ARTICLES[language]
    return {
        "id": f"{run}-{language}",
        "url": f"https://news.example/{run}/{language}",
        "source": "Example News",
        "title": article["title"],
        "published_at": "2026-12-01T10:00:00Z",
        "text": f"{article['title']}\n{article['text']}",
    }
