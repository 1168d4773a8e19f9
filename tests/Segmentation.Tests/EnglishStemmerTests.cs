using System.Text;
using Search.Segmentation.Analysis;

namespace Search.Segmentation.Tests;

/// <summary>
/// Checks <see cref="EnglishStemmer"/> against published Porter2 material from snowballstem.org:
/// the sample shown on the algorithm page, the exceptional forms and rules spelled out in the
/// algorithm description, and (word, stem) pairs taken from the published sample vocabulary
/// (snowball-data english/voc.txt with its stemmed equivalent english/output.txt).
/// </summary>
public class EnglishStemmerTests
{
    // The vocabulary sample shown at the top of https://snowballstem.org/algorithms/english/stemmer.html
    private const string AlgorithmPageSample = """
        consign=consign consigned=consign consigning=consign consignment=consign consist=consist
        consisted=consist consistency=consist consistent=consist consistently=consist consisting=consist
        consists=consist consolation=consol consolations=consol consolatory=consolatori console=consol
        consoled=consol consoles=consol consolidate=consolid consolidated=consolid consolidating=consolid
        consoling=consol consolingly=consol consols=consol consonant=conson consort=consort
        consorted=consort consorting=consort conspicuous=conspicu conspicuously=conspicu
        conspiracy=conspiraci conspirator=conspir conspirators=conspir conspire=conspir conspired=conspir
        conspiring=conspir constable=constabl constables=constabl constance=constanc constancy=constanc
        constant=constant knack=knack knackeries=knackeri knacks=knack knag=knag knave=knave knaves=knave
        knavish=knavish kneaded=knead kneading=knead knee=knee kneel=kneel kneeled=kneel kneeling=kneel
        kneels=kneel knees=knee knell=knell knelt=knelt knew=knew knick=knick knif=knif knife=knife
        knight=knight knightly=knight knights=knight knit=knit knits=knit knitted=knit knitting=knit
        knives=knive knob=knob knobs=knob knock=knock knocked=knock knocker=knocker knockers=knocker
        knocking=knock knocks=knock knopp=knopp knot=knot knots=knot
        """;

    // Exceptional forms and special cases named in the algorithm description: the whole-word
    // exceptions, the -ing and -eed exceptions, and words whose R1 starts after a fixed prefix
    // (gener, commun, arsen, past, univers, later, emerg, organ).
    private const string ExceptionalFormsTable = """
        skis=ski skies=sky sky=sky idly=idl gently=gentl ugly=ugli early=earli only=onli singly=singl
        news=news howe=howe atlas=atlas cosmos=cosmos bias=bias andes=andes dying=die lying=lie tying=tie
        vying=vie dyings=die inning=inning innings=inning outing=outing outings=outing canning=canning
        herring=herring herrings=herring earring=earring evening=evening evenings=evening proceed=proceed
        proceeds=proceed exceed=exceed exceeded=exceed exceedly=exceed succeed=succeed succeeding=succeed
        generate=generat generates=generat generated=generat generating=generat general=general
        generally=general generic=generic generically=generic generous=generous generously=generous
        communication=communic communications=communic community=communiti communism=communism
        communal=communal arsenic=arsenic arsenal=arsenal past=past paste=paste pastes=paste pasted=paste
        pasting=paste universe=univers universes=univers universal=universal universally=universal
        university=universiti universities=universiti later=later lateral=lateral laterally=lateral
        emerge=emerg emergency=emergenc organ=organ organs=organ organic=organic organize=organiz
        organization=organiz
        """;

    // Examples used in the rule descriptions (ties/cries, gas/gaps, hopp/hope, add/egg/off, cry/say, ...)
    // plus one word for each suffix of steps 1b-3 that the sample table below does not exercise.
    private const string DescribedRulesTable = """
        caresses=caress ties=tie cries=cri dies=die lied=lie gas=gas this=this gaps=gap kiwis=kiwi bus=bus
        agreedly=agre luxuriating=luxuri hopping=hop hopped=hop hoped=hope bled=bled added=add egging=egg
        offing=off erring=err ebbed=ebb cry=cri say=say fertilizer=fertil civilization=civil
        nationalism=nation hopefulness=hope callousness=callous formalize=formal geology=geolog
        geologist=geolog geologists=geolog
        """;

    // A varied subset of the published sample vocabulary and its stemmed output, covering the
    // apostrophe handling and every step (1a plural forms, 1b -ed/-ing with e-restoration and
    // undoubling, 1c y->i, the step 2/3/4 suffix families in R1/R2, and step 5 e/ll removal).
    private const string SampleVocabularyTable = """
        '=' ''='' '''=' 'a='a 'a'=a 'aa=aa 'aa'=aa 'as=as 'as'=as 's='s 's'=s a'=a' a''=a' aa'=aa
        abasement=abas abbott=abbott abdicate=abdic abel=abel abet=abet abhorr=abhorr abhorrence=abhorr
        ability=abil abject=abject abjectness=abject abl=abl abnormality=abnorm abnormally=abnorm
        abominable=abomin abominably=abomin abomination=abomin abortion=abort abortive=abort
        abruption=abrupt absorption=absorpt abstractedly=abstract absurdly=absurd abundance=abund
        abusive=abus abut=abut abysses=abyss accadent=accad acceded=acced acceptable=accept
        accessible=access accession=access accident=accid acclivity=accliv accommodate=accommod
        accompanied=accompani accompanies=accompani accorded=accord accordingly=accord
        accountability=account accrue=accru accumulated=accumul accus=accus accusative=accus acerbity=acerb
        achiever=achiev aching=ach acquaintance=acquaint acquainted=acquaint acquiescent=acquiesc
        acquiring=acquir acrimonious=acrimoni acrimoniously=acrimoni action=action active=activ
        activity=activ actuality=actual actuate=actuat acture=actur adaptability=adapt adaptable=adapt
        adapter=adapt add=add added=add addeth=addeth adding=add additional=addit additionally=addit
        addresses=address adds=add adducing=adduc adequate=adequ adhering=adher adjective=adject
        adjournment=adjourn adjurations=adjur adjustment=adjust adjutant=adjut administering=administ
        administrative=administr administrators=administr admirably=admir admiral=admir admiringly=admir
        admission=admiss adoptedly=adopt adoption=adopt adoptious=adopti adorable=ador adores=ador
        adornment=adorn adriatic=adriat adulation=adul adulterous=adulter advance=advanc advancement=advanc
        advantageous=advantag advent=advent adventuress=adventuress adventuresses=adventuress
        adventurously=adventur adversary=adversari adversity=advers adverting=advert advertisements=advertis
        advise=advis advisedly=advis aegion=aegion afanasy=afanasi affable=affabl affably=affabl
        affectedly=affect affirmative=affirm affluence=affluenc affrights=affright afric=afric aged=age
        aggression=aggress agility=agil aglet=aglet agnize=agniz ago=ago agonies=agoni agonisingly=agonis
        agree=agre agreeable=agreeabl agreeably=agreeabl agreed=agre agreeing=agre agreement=agreement
        agrees=agre aidant=aidant aided=aid ailment=ailment aiming=aim aimlessly=aimless albany=albani
        albino=albino albuminous=albumin alchemy=alchemi aldgate=aldgat aleide=aleid alengon=alengon
        allay=allay allayment=allay allegation=alleg allegorical=allegor alleine=allein alliance=allianc
        allies=alli alligator=allig allocution=allocut allowance=allow allows=allow allusion=allus ally=alli
        aloe=alo aloof=aloof alphabetical=alphabet alternation=altern alternations=altern alternative=altern
        alton=alton amassing=amass amazedly=amaz amazement=amaz ambassadress=ambassadress ambient=ambient
        ambiguities=ambigu ambiguous=ambigu ambitiously=ambiti ami=ami amiability=amiabl amiable=amiabl
        amiably=amiabl amicability=amic amicably=amic amity=amiti amorously=amor amounting=amount
        amphibious=amphibi analogy=analog anat=anat anathematizing=anathemat anatomiz=anatomiz
        anatomize=anatom anciently=ancient andes=andes andromache=andromach angleterre=angleterr
        anglicanism=anglican anglo=anglo angrily=angrili angus=angus ankle=ankl ann=ann annihilate=annihil
        annothanize=annothan annoying=annoy annuity=annuiti answers=answer antagonism=antagon antic=antic
        anticipated=anticip anticipatest=anticipatest anticipative=anticip antonio=antonio anxious=anxious
        apace=apac ape=ape aperient=aperi apes=ape apex=apex apologize=apolog apology=apolog
        apoplexy=apoplexi appal=appal appall=appal apparell=apparel apparently=appar appeach=appeach
        appeareth=appeareth appelant=appel appellant=appel appertained=appertain appliances=applianc
        applicant=applic applies=appli appointed=appoint appoints=appoint apprehension=apprehens
        apprehensive=apprehens apprise=appris approaching=approach approbation=approb
        appropinquity=appropinqu appropriation=appropri appropriator=appropri approval=approv
        approvingly=approv approximate=approxim appurtenance=appurten apricocks=apricock aptnesses=apt
        aqua=aqua aqueous=aqueous araucarian=araucarian arbitrator=arbitr arborescent=arboresc
        arbutus=arbutus archaeologically=archaeolog archaeology=archaeolog archbishopric=archbishopr
        archery=archeri dooced=dooc doomsday=doomsday doorkeeper=doorkeep doose=doos dorsal=dorsal
        dotage=dotag dotards=dotard dote=dote doubleday=doubleday doubleness=doubl doubles=doubl
        doubly=doubli doubtful=doubt doubtfully=doubt dough=dough dowagerism=dowager dowdles=dowdl
        dowries=dowri draff=draff dramaticus=dramaticus dramatise=dramatis drap=drap dreadful=dread
        dreadfully=dread dreaming=dream dreams=dream drear=drear dreariest=dreariest dried=dri drive=drive
        droll=droll drolly=drolli droves=drove drownded=drownd drudgery=drudgeri drugg=drugg
        druidical=druidic drummond=drummond drunkenness=drunken dry=dri dryer=dryer drying=dri dryly=dryli
        dryness=dryness dubb=dubb dubiously=dubious duchesses=duchess duchies=duchi ducklings=duckl
        duff=duff dullness=dull dully=dulli duly=duli dumbbell=dumbbel dumbly=dumbl duncan=duncan
        dunghill=dunghil dunnest=dunnest dunstable=dunstabl duplicate=duplic duplicity=duplic dupp=dupp
        durability=durabl durst=durst duskier=duskier dussauts=dussaut dustn=dustn dutiful=duti
        dutifully=duti dutton=dutton dwell=dwell dye=dye dyed=dy dyes=dye dying=die e=e each=each
        eagerness=eager eagles=eagl earlier=earlier earliness=earli early=earli earlybird=earlybird
        earnestness=earnest earring=earring earrings=earring earthenware=earthenwar earths=earth easeful=eas
        easter=easter ebb=ebb ebbed=ebb ebbing=ebb ebbs=ebb ebullition=ebullit eccentricity=eccentr
        ecclesiastical=ecclesiast economical=econom economist=economist economize=econom ecstasies=ecstasi
        ecstatic=ecstat ed=ed eddication=eddic eden=eden edible=edibl edified=edifi educational=educ ee=ee
        effectiveness=effect effets=effet efficiency=effici efflorescence=effloresc efforts=effort
        effulgence=effulg effusion=effus egally=egal egg=egg eggs=egg egotism=egot egyptians=egyptian
        eighteenpence=eighteenp elaborately=elabor elasticity=elast eleanor=eleanor electricity=electr
        elegancies=eleg elegancy=eleg element=element elephant=eleph elevating=elev eli=eli eligible=elig
        ellis=elli elopement=elop eloquently=eloqu elucidate=elucid elysium=elysium embargo=embargo
        embassage=embassag embedded=embed embers=ember embodied=embodi embodiment=embodi emerge=emerg
        emerged=emerg emergencies=emergenc emergency=emergenc emerges=emerg emerging=emerg eminence=emin
        eminent=emin eminently=emin emissary=emissari emitting=emit emotional=emot empery=emperi
        emphasise=emphasis emphatic=emphat employment=employ employments=employ empower=empow emptied=empti
        emulation=emul emulator=emul enceladus=enceladus enchant=enchant enchanter=enchant
        enchantingly=enchant enchantment=enchant encircles=encircl enclose=enclos encompassment=encompass
        encouraged=encourag encouragement=encourag encouragingly=encourag endearment=endear
        endeavoured=endeavour endlessly=endless endymion=endymion energetic=energet enforcedly=enforc
        enforcement=enforc enfranchise=enfranchis enfreed=enfre engages=engag engaging=engag
        englanderinn=englanderinn engoument=engoument engrosser=engross engrossest=engrossest
        enguard=enguard enlivenment=enliven ennoble=ennobl enormously=enorm enrages=enrag enrobed=enrob
        enrolled=enrol entanglement=entangl entered=enter enterprise=enterpris enthrall=enthral
        enthusiastic=enthusiast enthusiastically=enthusiast entomol=entomol entomologist=entomolog
        entomology=entomolog entrails=entrail entrapp=entrapp entreat=entreat entresol=entresol
        envelops=envelop epeira=epeira epicurism=epicur epigrams=epigram epileptic=epilept equalities=equal
        equality=equal equally=equal equator=equat equatorial=equatori equidistant=equidist equitably=equit
        equivocal=equivoc equivocate=equivoc equivocator=equivoc eradicate=erad erhanging=erhang
        ermaster=ermast err=err erred=err erring=err errs=err erspreads=erspread erswell=erswel
        eruptive=erupt esill=esil espagne=espagn especial=especi esperance=esper espied=espi espous=espous
        essence=essenc esses=ess esteem=esteem esthers=esther estime=estim estuaries=estuari eterne=etern
        eterniz=eterniz ethereal=ether etymology=etymolog euphorbiaceae=euphorbiacea evangelical=evangel
        evans=evan
        """;

    public static TheoryData<string, string> AlgorithmPagePairs => ToTheoryData(AlgorithmPageSample);

    public static TheoryData<string, string> ExceptionalFormPairs => ToTheoryData(ExceptionalFormsTable);

    public static TheoryData<string, string> DescribedRulePairs => ToTheoryData(DescribedRulesTable);

    [Theory]
    [MemberData(nameof(AlgorithmPagePairs))]
    public void StemsTheAlgorithmPageSample(string word, string expected) =>
        Assert.Equal(expected, EnglishStemmer.Stem(word));

    [Theory]
    [MemberData(nameof(ExceptionalFormPairs))]
    public void StemsExceptionalForms(string word, string expected) =>
        Assert.Equal(expected, EnglishStemmer.Stem(word));

    [Theory]
    [MemberData(nameof(DescribedRulePairs))]
    public void FollowsTheDescribedRules(string word, string expected) =>
        Assert.Equal(expected, EnglishStemmer.Stem(word));

    [Fact]
    public void StemsThePublishedSampleVocabulary()
    {
        List<(string Word, string Stem)> pairs = Parse(SampleVocabularyTable);
        var mismatches = new StringBuilder();
        int failures = 0;
        foreach ((string word, string expected) in pairs)
        {
            string actual = EnglishStemmer.Stem(word);
            if (actual != expected)
            {
                failures++;
                mismatches.Append("  ").Append(word).Append(": expected '").Append(expected)
                    .Append("', got '").Append(actual).Append('\'').AppendLine();
            }
        }

        Assert.True(pairs.Count >= 500, $"the sample table should hold at least 500 pairs, found {pairs.Count}");
        Assert.True(failures == 0, $"{failures} of {pairs.Count} published pairs differ:{Environment.NewLine}{mismatches}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("is")]
    [InlineData("as")]
    [InlineData("by")]
    [InlineData("'s")]
    [InlineData("ed")]
    public void LeavesWordsOfTwoLettersOrLessUnchanged(string word) =>
        Assert.Same(word, EnglishStemmer.Stem(word));

    [Fact]
    public void ReturnsTheInputInstanceWhenNothingChanges()
    {
        string word = new("abandon".AsSpan());
        Assert.Same(word, EnglishStemmer.Stem(word));
    }

    [Fact]
    public void HandlesWordsLongerThanTheStackBuffer()
    {
        string prefix = string.Concat(Enumerable.Repeat("con", 50));
        Assert.Equal(prefix + "nation", EnglishStemmer.Stem(prefix + "nationalization"));

        string consonants = new('x', 140);
        Assert.Equal(consonants + "ing", EnglishStemmer.Stem(consonants + "ing"));

        string ys = new('y', 130);
        Assert.Equal(ys + "i", EnglishStemmer.Stem(ys + "ies"));
    }

    [Fact]
    public void RejectsNull() =>
        Assert.Throws<ArgumentNullException>(() => EnglishStemmer.Stem(null!));

    private static TheoryData<string, string> ToTheoryData(string table)
    {
        var data = new TheoryData<string, string>();
        foreach ((string word, string stem) in Parse(table))
        {
            data.Add(word, stem);
        }

        return data;
    }

    /// <summary>Parses whitespace-separated <c>word=stem</c> tokens.</summary>
    private static List<(string Word, string Stem)> Parse(string table)
    {
        var pairs = new List<(string Word, string Stem)>();
        foreach (string token in table.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            int separator = token.IndexOf('=', StringComparison.Ordinal);
            pairs.Add((token[..separator], token[(separator + 1)..]));
        }

        return pairs;
    }
}
