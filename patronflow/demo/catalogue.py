"""The demo library's shelves: real Dutch-language and Flemish works, so that reading tips,
reports and previews show titles a Flemish or Dutch librarian recognises.

NUR codes follow the Dutch-language book trade's rubrics (301 literaire roman, 305 literaire
thriller, 306 poëzie, 320 literaire non-fictie, 330-332 spannend/detective/thriller, 340
romantisch, 360 strips, 281-285 jeugd by age, 440 koken, 500 reizen, 680 geschiedenis,
770 psychologie). SISO numbers are plausible placements within the main classes, not copied
from a catalogue record. Films carry their director as author, as library catalogues do.
"""

from dataclasses import dataclass
from typing import Literal

Shelf = Literal["adult", "youth", "comic", "film"]


@dataclass(frozen=True, slots=True)
class Work:
    title: str
    author: str
    fiction: bool
    genre: str
    nur: str
    siso: str
    shelf: Shelf


def _shelf(
    rows: str,
    *,
    fiction: bool,
    genre: str,
    nur: str = "",
    siso: str = "",
    shelf: Shelf = "adult",
) -> tuple[Work, ...]:
    """One work a line, `author | title`, optionally followed by `| nur=…`, `| siso=…` or
    `| genre=…` where a work differs from the rest of its shelf."""
    works = []
    for line in rows.strip().splitlines():
        author, title, *overrides = (part.strip() for part in line.split("|"))
        fields = {"nur": nur, "siso": siso, "genre": genre}
        for override in overrides:
            key, value = override.split("=", 1)
            if key not in fields:
                raise ValueError(f"unknown catalogue field {key!r} in {line!r}")
            fields[key] = value
        works.append(Work(title, author, fiction, shelf=shelf, **fields))
    return tuple(works)


LITERARY_FICTION = _shelf(
    """
    Hugo Claus | Het verdriet van België
    Hugo Claus | De geruchten
    Hugo Claus | De Metsiers
    Hugo Claus | Omtrent Deedee
    Hugo Claus | De verwondering
    Hugo Claus | Onvoltooid verleden
    Tom Lanoye | Sprakeloos
    Tom Lanoye | Het derde huwelijk
    Tom Lanoye | Boze tongen
    Tom Lanoye | Kartonnen dozen
    Tom Lanoye | Het goddelijke monster
    Tom Lanoye | Zwarte tranen
    Tom Lanoye | Fortuinzoekers
    Griet Op de Beeck | Vele hemels boven de zevende
    Griet Op de Beeck | Kom hier dat ik u kus
    Griet Op de Beeck | Het beste wat we hebben
    Griet Op de Beeck | Gezien de feiten
    Dimitri Verhulst | De helaasheid der dingen
    Dimitri Verhulst | Godverdomse dagen op een godverdomse bol
    Dimitri Verhulst | De laatste liefde van mijn moeder
    Dimitri Verhulst | Problemski Hotel
    Dimitri Verhulst | De intrede van Christus in Brussel
    Stefan Brijs | De engelenmaker
    Stefan Brijs | Post voor mevrouw Bromley
    Annelies Verbeke | Slaap!
    Annelies Verbeke | Vissen redden
    Annelies Verbeke | Dertig dagen
    Erwin Mortier | Marcel
    Erwin Mortier | Godenslaap
    Peter Terrin | Post mortem
    Peter Terrin | De bewaker
    Jeroen Olyslaegers | Wil
    Jeroen Olyslaegers | Wildevrouw
    Louis Paul Boon | De Kapellekensbaan
    Louis Paul Boon | Zomer te Ter-Muren
    Louis Paul Boon | Menuet
    Louis Paul Boon | Pieter Daens
    Willem Elsschot | Kaas
    Willem Elsschot | Lijmen
    Willem Elsschot | Het been
    Willem Elsschot | Villa des Roses
    Willem Elsschot | Tsjip
    Hendrik Conscience | De Leeuw van Vlaanderen
    Stijn Streuvels | De vlaschaard
    Felix Timmermans | Pallieter
    Ernest Claes | De Witte
    Hubert Lampo | De komst van Joachim Stiller
    Johan Daisne | De man die zijn haar kort liet knippen
    Walter van den Broeck | Brief aan koning Boudewijn
    Paul Verhaeghen | Omega minor
    Kris Van Steenberge | Woesten
    Saskia De Coster | Wij en ik
    Lize Spit | Het smelt
    Lize Spit | Ik ben er niet
    Stefan Hertmans | Oorlog en terpentijn
    Stefan Hertmans | De bekeerlinge
    Herman Brusselmans | Ex-drummer
    Jeroen Brouwers | Bezonken rood
    Jeroen Brouwers | Het hout
    Harry Mulisch | De aanslag
    Harry Mulisch | De ontdekking van de hemel
    Harry Mulisch | Het stenen bruidsbed
    Harry Mulisch | Siegfried
    Harry Mulisch | De procedure
    Herman Koch | Zomerhuis met zwembad
    Herman Koch | Geachte heer M.
    Herman Koch | De greppel
    Tommy Wieringa | Joe Speedboot
    Tommy Wieringa | Caesarion
    Tommy Wieringa | Dit zijn de namen
    Tommy Wieringa | Een mooie jonge vrouw
    Tommy Wieringa | De heilige Rita
    Marieke Lucas Rijneveld | De avond is ongemak
    Marieke Lucas Rijneveld | Mijn lieve gunsteling
    Willem Frederik Hermans | De donkere kamer van Damokles
    Willem Frederik Hermans | Nooit meer slapen
    Willem Frederik Hermans | Het behouden huis
    Willem Frederik Hermans | Au pair
    Gerard Reve | De avonden
    Hella S. Haasse | Oeroeg
    Hella S. Haasse | Het woud der verwachting
    Hella S. Haasse | Heren van de thee
    Hella S. Haasse | Sleuteloog
    Multatuli | Max Havelaar
    Louis Couperus | Eline Vere
    Louis Couperus | Van oude menschen, de dingen, die voorbijgaan
    Louis Couperus | De stille kracht
    Arnon Grunberg | Blauwe maandagen
    Arnon Grunberg | Tirza
    Arnon Grunberg | De asielzoeker
    Arnon Grunberg | Huid en haar
    Connie Palmen | De wetten
    Connie Palmen | I.M.
    Connie Palmen | Jij zegt het
    A.F.Th. van der Heijden | Tonio
    Anna Enquist | Het meesterstuk
    Anna Enquist | Het geheim
    Anna Enquist | Contrapunt
    Margriet de Moor | Eerst grijs dan wit dan blauw
    Margriet de Moor | De verdronkene
    Cees Nooteboom | Rituelen
    Cees Nooteboom | Het volgende verhaal
    Cees Nooteboom | Allerzielen
    Jan Wolkers | Turks fruit
    Jan Wolkers | Een roos van vlees
    Jan Wolkers | Kort Amerikaans
    Maarten 't Hart | Een vlucht regenwulpen
    Maarten 't Hart | Het woeden der gehele wereld
    Arthur Japin | De zwarte met het witte hart
    Arthur Japin | Een schitterend gebrek
    Kader Abdolah | Het huis van de moskee
    Kader Abdolah | Spijkerschrift
    Adriaan van Dis | Indische duinen
    Adriaan van Dis | Tikkop
    Hendrik Groen | Pogingen iets van het leven te maken
    Hendrik Groen | Zolang er leven is
    Franca Treur | Dorsvloer vol confetti
    Jaap Robben | Birk
    Jaap Robben | Zomervacht
    Jan Siebelink | Knielen op een bed violen
    Oek de Jong | Pier en oceaan
    Ilja Leonard Pfeijffer | La Superba
    Ilja Leonard Pfeijffer | Grand Hotel Europa
    Gerbrand Bakker | Boven is het stil
    Thomas Rosenboom | Publieke werken
    Tessa de Loo | De tweeling
    Joost Zwagerman | Gimmick!
    Peter Buwalda | Bonita Avenue
    Marga Minco | Het bittere kruid
    Remco Campert | Het leven is vurrukkulluk
    Jente Posthuma | Waar ik liever niet aan denk
    Bert Wagendorp | Ventoux
    Tim Krabbé | De renner
    Niña Weijers | De consequenties
    P.F. Thomése | Schaduwkind
    Esther Gerritsen | Broer
    Renate Dorrestein | Een hart van steen
    Ronald Giphart | Phileine zegt sorry
    """,
    fiction=True,
    genre="roman",
    nur="301",
)

POETRY = _shelf(
    """
    Hugo Claus | De Oostakkerse gedichten
    Herman de Coninck | De lenige liefde
    Paul van Ostaijen | Bezette stad
    Guido Gezelle | Tijdkrans
    M. Vasalis | Parken en woestijnen
    Marieke Lucas Rijneveld | Kalfsvlies
    """,
    fiction=True,
    genre="poëzie",
    nur="306",
)

SUSPENSE = (
    *_shelf(
        """
        Herman Koch | Het diner
        Tim Krabbé | Het gouden ei
        Tim Krabbé | De grot
        Esther Verhoef | Rendez-vous
        Marion Pauw | Daglicht
        """,
        fiction=True,
        genre="thriller",
        nur="305",
    ),
    *_shelf(
        """
        Saskia Noort | Terug naar de kust
        Saskia Noort | De eetclub
        Saskia Noort | Nachtvlinders
        Saskia Noort | Koorts
        Saskia Noort | De verbouwing
        Esther Verhoef | Close-up
        Simone van der Vlugt | De reünie
        Jef Geeraerts | De zaak Alzheimer
        Thomas Olde Heuvelt | HEX | nur= | genre=horror
        """,
        fiction=True,
        genre="thriller",
        nur="332",
    ),
    *_shelf(
        """
        Pieter Aspe | Het vierkant van de wraak
        Pieter Aspe | De Midasmoord
        Pieter Aspe | De vierde gestalte
        Pieter Aspe | Blauw bloed
        Pieter Aspe | Zoenoffer
        Pieter Aspe | Vagevuur
        A.C. Baantjer | De Cock en een strop voor Bobby
        A.C. Baantjer | De Cock en de wurger op zondag
        """,
        fiction=True,
        genre="detective",
        nur="331",
    ),
    *_shelf(
        """
        Heleen van Royen | De gelukkige huisvrouw
        Ronald Giphart | Ik ook van jou
        """,
        fiction=True,
        genre="romantisch",
        nur="340",
    ),
)

YOUTH = _shelf(
    """
    Dick Bruna | Nijntje | nur=281 | genre=prentenboek
    Max Velthuijs | Kikker is verliefd | nur=281 | genre=prentenboek
    Thé Tjong-Khing | Waar is de taart? | nur=281 | genre=prentenboek
    Annie M.G. Schmidt | Jip en Janneke | nur=281 | genre=prentenboek
    Annie M.G. Schmidt | Pluk van de Petteflet | nur=282
    Annie M.G. Schmidt | Wiplala | nur=282
    Annie M.G. Schmidt | Otje | nur=282
    Annie M.G. Schmidt | Abeltje
    Annie M.G. Schmidt | Minoes
    Paul Biegel | De kleine kapitein | nur=282
    Paul Biegel | Het sleutelkruid
    Paul van Loon | Dolfje Weerwolfje | nur=282
    Paul van Loon | De Griezelbus
    Tonke Dragt | De brief voor de koning | genre=fantasy
    Tonke Dragt | Geheimen van het Wilde Woud | genre=fantasy
    Tonke Dragt | De torens van februari | nur=284 | genre=fantasy
    Toon Tellegen | Misschien wisten zij alles
    Jan Terlouw | Koning van Katoren
    Jan Terlouw | Pjotr
    Jan Terlouw | Oorlogswinter | nur=284
    Thea Beckman | Kruistocht in spijkerbroek | nur=284
    Guus Kuijer | Voor altijd samen, amen
    Guus Kuijer | Het boek van alle dingen | nur=284
    Jacques Vriens | Achtste-groepers huilen niet
    Annet Schaap | Lampje
    Anna Woltz | Gips
    Anna Woltz | Alaska
    Bart Moeyaert | Blote handen | nur=284
    Bart Moeyaert | Broere | nur=284
    Carry Slee | Spijt! | nur=284
    Carry Slee | Pijnstillers | nur=284
    Carry Slee | Afblijven | nur=284
    Mel Wallis de Vries | Klem | nur=285 | genre=thriller
    Mel Wallis de Vries | Vals | nur=285 | genre=thriller
    """,
    fiction=True,
    genre="jeugdroman",
    nur="283",
    shelf="youth",
)

COMICS = _shelf(
    """
    Hergé | Het zwarte eiland
    Hergé | De sigaren van de farao
    Hergé | De blauwe lotus
    Hergé | Het geheim van de Eenhoorn
    Hergé | De schat van Scharlaken Rackham
    Hergé | Raket naar de maan
    Hergé | Mannen op de maan
    Hergé | De zaak Zonnebloem
    Hergé | Kuifje in Tibet
    Hergé | De juwelen van Bianca Castafiore
    Willy Vandersteen | Het eiland Amoras
    Willy Vandersteen | De Texasrakkers
    Willy Vandersteen | Lambik Baba
    Willy Vandersteen | Het Spaanse spook
    Willy Vandersteen | Jeromba de Griek
    Willy Vandersteen | De Bokkerijders
    Typex | Rembrandt
    Barbara Stok | Vincent
    Brecht Evens | Panter
    """,
    fiction=True,
    genre="strip",
    nur="360",
    shelf="comic",
)

FILMS = (
    *_shelf(
        """
        Felix van Groeningen | De helaasheid der dingen
        Felix van Groeningen | The Broken Circle Breakdown
        Felix van Groeningen | Belgica
        Michaël R. Roskam | Rundskop
        Erik Van Looy | Loft | genre=thriller
        Erik Van Looy | De zaak Alzheimer | genre=thriller
        Nic Balthazar | Ben X
        Stijn Coninx | Daens
        Lukas Dhont | Girl
        Lukas Dhont | Close
        Adil El Arbi en Bilall Fallah | Black
        Adil El Arbi en Bilall Fallah | Patser | genre=thriller
        Jan Verheyen | Het vonnis
        Koen Mortier | Ex Drummer
        Paul Verhoeven | Zwartboek
        Paul Verhoeven | Soldaat van Oranje
        Paul Verhoeven | Turks fruit
        Mike van Diem | Karakter
        Marleen Gorris | Antonia
        Martin Koolhoven | Oorlogswinter
        Ben Sombogaart | De tweeling
        Ben Sombogaart | De storm
        Joram Lürsen | Alles is liefde | genre=romantiek
        Joram Lürsen | Bankier van het verzet
        Dick Maas | Flodder | genre=humor
        """,
        fiction=True,
        genre="speelfilm",
        shelf="film",
    ),
    *_shelf(
        "Tom Waes | Het verhaal van Vlaanderen",
        fiction=False,
        genre="geschiedenis",
        siso="947.1",
        shelf="film",
    ),
)

NON_FICTION = (
    *_shelf(
        """
        David Van Reybrouck | Congo. Een geschiedenis | siso=967.5
        David Van Reybrouck | Revolusi | siso=959.8
        Bart Van Loo | De Bourgondiërs | siso=947.1
        Bart Van Loo | Napoleon | siso=944
        Marc Reynebeau | Een geschiedenis van België | siso=947.1
        Geert Mak | In Europa | siso=940.5
        Geert Mak | Grote beloften | siso=940.5
        Geert Mak | De eeuw van mijn vader | siso=946.3
        Geert Mak | Hoe God verdween uit Jorwerd | siso=946.3
        Geert Mak | De levens van Jan Six | siso=946.3
        Johan Huizinga | Herfsttij der Middeleeuwen | siso=940.1
        Herman Pleij | Dromen van Cocagne | siso=940.1
        Loe de Jong | Het Koninkrijk der Nederlanden in de Tweede Wereldoorlog | siso=946.3
        Roxane van Iperen | 't Hooge Nest | siso=940.53
        """,
        fiction=False,
        genre="geschiedenis",
        nur="680",
    ),
    *_shelf(
        """
        Anne Frank | Het Achterhuis
        Etty Hillesum | Het verstoorde leven
        Annejet van der Zijl | Sonny Boy
        Annejet van der Zijl | Anna. Het leven van Annie M.G. Schmidt
        Johan Cruijff | Mijn verhaal
        David Van Reybrouck | Zink | genre=geschiedenis
        """,
        fiction=False,
        genre="biografie",
        nur="320",
        siso="920",
    ),
    *_shelf(
        """
        David Van Reybrouck | Tegen verkiezingen
        David Van Reybrouck | Pleidooi voor populisme
        Joris Luyendijk | Het zijn net mensen
        """,
        fiction=False,
        genre="politiek",
        siso="320",
    ),
    *_shelf(
        """
        Rutger Bregman | Gratis geld voor iedereen
        Joris Luyendijk | Dit kan niet waar zijn
        Paul De Grauwe | De limieten van de markt
        """,
        fiction=False,
        genre="economie",
        siso="330",
    ),
    *_shelf(
        """
        Rutger Bregman | De meeste mensen deugen
        Dirk De Wachter | Borderline times
        Dirk De Wachter | De kunst van het ongelukkig zijn
        Paul Verhaeghe | Identiteit
        Paul Verhaeghe | Liefde in tijden van eenzaamheid
        Dick Swaab | Wij zijn ons brein
        Dick Swaab | Ons creatieve brein
        """,
        fiction=False,
        genre="psychologie",
        nur="770",
        siso="150",
    ),
    *_shelf(
        """
        Rutger Bregman | Morele ambitie
        Joke Hermsen | Stil de tijd
        Baruch de Spinoza | Ethica
        Desiderius Erasmus | Lof der zotheid
        """,
        fiction=False,
        genre="filosofie",
        siso="100",
    ),
    *_shelf(
        """
        Erik Scherder | Laat je hersenen niet zitten
        Giulia Enders | De mooie darm
        Kris Verburgh | De voedselzandloper
        Sandra Bekkari | Nooit meer diëten
        """,
        fiction=False,
        genre="gezondheid",
        siso="605",
    ),
    *_shelf(
        """
        Frans de Waal | Een tijd voor empathie
        Frans de Waal | Zijn we slim genoeg om te weten hoe slim dieren zijn?
        Frans de Waal | Mama's laatste omhelzing
        Midas Dekkers | Lief dier
        Midas Dekkers | De vergankelijkheid
        """,
        fiction=False,
        genre="natuur",
        siso="591",
    ),
    *_shelf(
        """
        Jeroen Meus | Dagelijkse kost
        Pascale Naessens | Mijn pure keuken
        Pascale Naessens | Puur Pascale
        Yvette van Boven | Home made
        C.J. Wannée | Kookboek van de Amsterdamse Huishoudschool
        KVLV | Ons kookboek
        Yotam Ottolenghi en Sami Tamimi | Jeruzalem
        """,
        fiction=False,
        genre="kookboek",
        nur="440",
        siso="641.5",
    ),
    *_shelf(
        """
        Capitool | Toscane | siso=945.5
        Capitool | Rome | siso=945.6
        Lonely Planet | IJsland | siso=949.1
        Lonely Planet | Japan | siso=952
        ANWB Extra | Lissabon | siso=946.9
        De Groene Reisgids | Provence | siso=944.9
        Trotter | Marokko | siso=964
        Dominicus | Schotland | siso=941.1
        """,
        fiction=False,
        genre="reisgids",
        nur="500",
    ),
    *_shelf(
        """
        Cees Nooteboom | De omweg naar Santiago | siso=946
        Geert Mak | Reizen zonder John | siso=973
        Jan Brokken | Baltische zielen | siso=947.9
        """,
        fiction=False,
        genre="reizen",
    ),
    *_shelf(
        """
        Nederlandse Taalunie | Woordenlijst Nederlandse Taal
        Van Dale | Groot woordenboek van de Nederlandse taal
        """,
        fiction=False,
        genre="taal",
        siso="830",
    ),
)

WORKS: tuple[Work, ...] = (
    *LITERARY_FICTION,
    *POETRY,
    *SUSPENSE,
    *YOUTH,
    *COMICS,
    *FILMS,
    *NON_FICTION,
)
