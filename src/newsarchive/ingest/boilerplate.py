"""The built-in noise rules: boilerplate of English, German, French and Spanish news pages.

Data for :mod:`newsarchive.ingest.noise`, which applies it. Each pattern carries examples of
lines it cleans and sentences from real articles it must leave alone; the tests check
both, and that every pattern passes :func:`newsarchive.config.regex_problem`.

Times and dates are only matched as a *piece* of a line: between the start of the line or a
separator (``|``, ``·``, ``•``, ``–``, ``—``) and the end of the line or a separator. "By
Jane Holloway | Updated 3 minutes ago" loses its second half; "The council updated its
rules 3 minutes before the vote." is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BOX_HEADINGS", "DEFAULT_PATTERNS", "OPEN", "SEPARATORS", "SHARE_VERBS", "SHARE_WORDS",
           "Pattern"]


@dataclass(frozen=True)
class Pattern:
    """A built-in pattern, with lines it cleans and sentences it must leave alone."""

    name: str
    regex: str
    examples: tuple[str, ...]
    """Lines the pattern changes (each example line has text to cut)."""
    keeps: tuple[str, ...] = ()
    """Sentences from real articles it must not touch."""


#: What separates the pieces of a byline or meta line: a pattern matches only between the
#: start of the line or one of these and the end of the line or one of these.
SEPARATORS = "|\u00b7\u2022\u2013\u2014"
_SEP = SEPARATORS
OPEN = rf"(?:^|\s*[{_SEP}]\s*)"
"""How every time and date pattern begins: the start of a line or a separator."""
_OPEN = OPEN
_CLOSE = rf"\.?(?=\s*(?:$|[{_SEP}]))"


def _piece(body: str) -> str:
    return f"(?i){_OPEN}(?:{body}){_CLOSE}"


def _months(*names: str) -> str:
    return "(?:" + "|".join(names) + ")"


_MONTHS_EN = _months(
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", r"Jan\.?", r"Feb\.?", r"Mar\.?", r"Apr\.?", r"Jun\.?",
    r"Jul\.?", r"Aug\.?", r"Sept?\.?", r"Oct\.?", r"Nov\.?", r"Dec\.?")
_MONTHS_DE = _months("Januar", "Jänner", "Februar", "März", "April", "Mai", "Juni", "Juli",
                     "August", "September", "Oktober", "November", "Dezember")
_MONTHS_FR = _months("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                     "septembre", "octobre", "novembre", "décembre")
_MONTHS_ES = _months("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                     "septiembre", "setiembre", "octubre", "noviembre", "diciembre")
_DAYS_EN = _months("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                   "Sunday", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAYS_DE = _months("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
                   "Sonntag", "Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_DAYS_FR = _months("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_DAYS_ES = _months("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")

_TIME = r"\d{1,2}[:.h]\d{2}(?: ?(?:[ap]\.?m\.?|Uhr|h))?(?: [A-Z]{2,5}| \(?[A-Z]{2,5}\)?)?"
_NUMERIC_DATE = r"(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})"


def _stamp(keywords: str, day: str, date: str, joins: str) -> str:
    """A "Last updated: <date and/or time>" piece."""
    when = rf"(?:{date}|{_NUMERIC_DATE}|{_TIME})"
    return _piece(rf"(?:{keywords}):? (?:{day},? )?{when}(?:,?(?: (?:{joins}))? {when})?")


DEFAULT_PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "updated-ago-en",
        _piece(r"(?:(?:Last updated|Updated|Published|Posted|Edited):? )?"
               r"(?:\d{1,3}|an?|one|a few) (?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?"
               r"|weeks?) ago|(?:Updated|Posted) just now"),
        ("Updated 3 minutes ago", "By Jane Holloway | Updated 3 minutes ago",
         "Last updated: 2 hours ago", "Posted an hour ago", "Updated just now",
         "Reuters \u00b7 5 mins ago", "Updated 3 minutes ago | Politics"),
        ("The council updated its rules 3 minutes before the vote.",
         "He said the fire started 20 minutes ago and was still burning.",
         "Updated figures released two days ago show 14 dead.",
         "The ceasefire, agreed three days ago, is holding."),
    ),
    Pattern(
        "updated-ago-de",
        _piece(r"(?:(?:Zuletzt aktualisiert|Aktualisiert|Veröffentlicht):? )?vor "
               r"(?:\d{1,3}|einer?|wenigen) (?:Sekunden?|Minuten?|Min\.?|Stunden?|Std\.?"
               r"|Tag(?:en)?|Wochen?)|(?:Aktualisiert|Veröffentlicht) gerade eben"),
        ("Aktualisiert vor 5 Minuten", "Von Anna Berg | Aktualisiert vor 2 Std.",
         "vor einer Stunde", "Veröffentlicht vor 3 Tagen"),
        ("Die Regierung hat die Regeln vor 5 Minuten aktualisiert.",
         "Vor 3 Tagen hatte der Minister noch das Gegenteil behauptet."),
    ),
    Pattern(
        "updated-ago-fr",
        _piece(r"(?:(?:Mis à jour|Publié|Modifié) )?il y a (?:\d{1,3}|une?|quelques) "
               r"(?:secondes?|minutes?|min|heures?|h|jours?|semaines?)"),
        ("Mis à jour il y a 5 minutes", "Par Claire Dubois | Publié il y a une heure",
         "il y a 2 h"),
        ("Le texte a été mis à jour il y a trois jours par le ministère.",
         "Il y a 10 ans, la ville comptait deux fois plus d'habitants."),
    ),
    Pattern(
        "updated-ago-es",
        _piece(r"(?:(?:Actualizado|Publicado|Última actualización):? )?hace "
               r"(?:\d{1,3}|una?|unos|unas|pocos|pocas) "
               r"(?:segundos?|minutos?|min|horas?|h|días?|semanas?)"),
        ("Actualizado hace 5 minutos", "Por Lucía Gómez | hace 2 horas",
         "Publicado hace una hora"),
        ("El Gobierno actualizó hace 5 minutos las cifras de víctimas.",
         "Hace 20 años, el río ya se desbordó de la misma manera."),
    ),
    Pattern(
        "timestamp-en",
        _stamp("Last updated|Updated|Published|Posted|First published|Last modified"
               "|Updated on|Published on",
               _DAYS_EN, rf"(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTHS_EN},? \d{{4}}"
                         rf"|{_MONTHS_EN} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})", "at"),
        ("Last updated: 4 March 2024, 14:35 GMT", "Updated: 14:35 GMT, 4 March 2024",
         "Published Monday, March 4, 2024 at 2:35 p.m. ET", "Updated 04/03/2024 14:35",
         "By Jane Holloway | Last updated 2024-03-04 14:35"),
        ("Published on 4 March 2024, the report found that 12 people had died.",
         "The rules updated on 4 March 2024 apply from next week."),
    ),
    Pattern(
        "timestamp-de",
        _stamp("Zuletzt aktualisiert(?: am)?|Aktualisiert(?: am)?|Veröffentlicht(?: am)?"
               "|Erstellt(?: am)?|Stand(?: vom)?", _DAYS_DE,
               rf"\d{{1,2}}\. ?{_MONTHS_DE} \d{{4}}", "um"),
        ("Aktualisiert am 04.03.2024, 14:35 Uhr", "Stand: 04.03.2024 14:35 Uhr",
         "Veröffentlicht am Montag, 4. März 2024", "Von Anna Berg | Stand: 14:35 Uhr"),
        ("Die am 04.03.2024 aktualisierte Liste nennt 14 Tote.",),
    ),
    Pattern(
        "timestamp-fr",
        _stamp("Dernière mise à jour(?: le)?|Mis à jour(?: le)?|Publié(?: le)?"
               "|Modifié(?: le)?", _DAYS_FR, rf"\d{{1,2}}(?:er)? {_MONTHS_FR} \d{{4}}", "à"),
        ("Mis à jour le 4 mars 2024 à 14h35", "Publié le lundi 4 mars 2024 à 14:35",
         "Par Claire Dubois | Mis à jour le 04/03/2024 à 14h35"),
        ("Le décret publié le 4 mars 2024 entre en vigueur lundi.",),
    ),
    Pattern(
        "timestamp-es",
        _stamp("Última actualización|Actualizado(?: el)?|Publicado(?: el)?"
               "|Actualización", _DAYS_ES, rf"\d{{1,2}} de {_MONTHS_ES}(?: de \d{{4}})?",
               "a las|-"),
        ("Actualizado: 04/03/2024 14:35", "Publicado el 4 de marzo de 2024 a las 14:35",
         "Por Lucía Gómez | Actualizado el lunes, 4 de marzo de 2024 - 14:35 CET"),
        ("El informe publicado el 4 de marzo de 2024 cifra en 14 los muertos.",),
    ),
    Pattern(
        "reading-time",
        _piece(r"\d{1,3} ?min(?:ute)?s? read|Reading time:? \d{1,3} ?min(?:ute)?s?"
               r"|Lesezeit:? (?:ca\. )?\d{1,3} ?Min(?:\.|uten)?"
               r"|(?:Temps de )?lecture ?:? \d{1,3} ?min(?:utes?)?"
               r"|(?:Tiempo de )?lectura:? \d{1,3} ?min(?:utos?)?"),
        ("4 min read", "By Jane Holloway | 6 minute read", "Lesezeit: 3 Minuten",
         "Temps de lecture : 4 min", "Lectura: 5 minutos"),
        ("The talks took 45 minutes; reading the statement took 4 minutes.",),
    ),
    Pattern(
        "comment-count",
        _piece(r"\d{1,6} (?:comments?|Kommentare?|commentaires?|comentarios?)"
               r"|(?:Comments|Kommentare|Commentaires|Comentarios) ?\(\d{1,6}\)"),
        ("124 comments", "Comments (37)", "Kommentare (12)", "By Jane Holloway | 8 comments",
         "56 commentaires", "19 comentarios"),
        ("The ministry received 124 comments on the draft law.",),
    ),
)

#: Headings of boxes of rotating links ("Most read"...) and of share bars: a line that is
#: one of these (case aside, a colon after it allowed) is left out, with the list after it.
BOX_HEADINGS: frozenset[str] = frozenset({
    # English
    "most read", "most popular", "most viewed", "most shared", "trending", "trending now",
    "popular now", "read more", "related", "related articles", "related stories",
    "more on this story", "more stories", "you may also like", "recommended",
    "share this article", "share this story", "share this page", "share",
    # German
    "meistgelesen", "meistgelesene artikel", "am meisten gelesen", "meistgeklickt",
    "beliebteste artikel", "mehr zum thema", "das könnte sie auch interessieren",
    "auch interessant", "empfehlungen", "artikel teilen", "diesen artikel teilen", "teilen",
    # French
    "les plus lus", "les plus populaires", "les plus partagés", "à lire aussi", "lire aussi",
    "sur le même sujet", "à lire également", "partager cet article", "partager",
    # Spanish
    "lo más leído", "lo más visto", "más leídas", "más leídos", "más vistos",
    "te puede interesar", "lee también", "también te puede interesar",
    "noticias relacionadas", "compartir este artículo", "compartir esta noticia",
    "compartir",
})

#: Words of share bars: a line of only these words, with at least one of
#: :data:`SHARE_VERBS`, is left out ("Share on Facebook", "Link kopieren").
SHARE_WORDS: frozenset[str] = frozenset("""
    share sharing on via this article story page facebook twitter x whatsapp linkedin email
    e mail reddit bluesky threads telegram messenger pinterest mastodon copy copied link
    print tweet the url
    teilen auf per diesen artikel kopieren link drucken
    partager sur par cet article copier le lien imprimer
    compartir en por este artículo esta noticia copiar enlace imprimir el
""".split())
SHARE_VERBS: frozenset[str] = frozenset(
    {"share", "tweet", "copy", "copied", "teilen", "kopieren", "partager", "copier",
     "compartir", "copiar"})
