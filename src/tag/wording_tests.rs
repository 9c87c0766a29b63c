//! Wording classes of the contract's condition rules, one realistic sentence each, written
//! for these tests: the studied condition against its look-alikes (adverse event,
//! covariate, exclusion, baseline count, monitoring, a funder's name, motivation).

use super::*;

/// (condition tags expected, in any order; title; abstract).
type Case = (&'static [&'static str], &'static str, &'static str);

fn check(cases: &[Case]) {
    let t = Tagger::builtin();
    let mut bad = Vec::new();
    for (want, title, abstract_) in cases {
        let c = t.classify(&TagInput {
            title,
            abstract_,
            mesh: &[],
            keywords: &[],
            publication_types: &[],
            conditions: &[],
        });
        let mut got = c.condition_tags();
        got.sort_unstable();
        let mut want = want.to_vec();
        want.sort_unstable();
        if got != want || !c.relevant {
            bad.push(format!(
                "want {want:?} got {got:?} (relevant {}): {abstract_}",
                c.relevant
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Anxiety as a disorder or a measured outcome (preoperative, dental, HAM-A, GAD-7), not as an
/// adverse event, a reason to stop, a covariate, an exclusion, a baseline share or a parent's.
#[test]
fn anxiety_wording_classes() {
    check(&[
        (
            &["anxiety"],
            "Ketamine for refractory generalized anxiety disorder",
            "Adults with treatment-refractory generalized anxiety disorder received three ketamine infusions. Anxiety fell on the HAM-A.",
        ),
        (
            &["anxiety"],
            "Intranasal ketamine premedication in children",
            "Children aged 2-6 years were randomized to intranasal ketamine or dexmedetomidine. The primary outcome was preoperative anxiety measured with the m-YPAS at separation from parents.",
        ),
        (
            &["anxiety", "depression"],
            "Ketamine in anxious depression: an open-label trial",
            "Outpatients with anxious depression received ketamine; MADRS and HAM-A scores fell.",
        ),
        (
            &["anxiety"],
            "Ketamine for social anxiety disorder",
            "In this crossover trial, 18 adults with social anxiety disorder (SAD) received ketamine or placebo. LSAS scores fell after ketamine.",
        ),
        (
            &["anxiety"],
            "Esketamine and anxiety after cesarean delivery",
            "Women undergoing cesarean delivery were randomized to esketamine or saline. Anxiety (STAI) at 24 hours was lower with esketamine.",
        ),
        (
            &["anxiety", "depression"],
            "Ketamine in a real-world clinic",
            "We reviewed 200 patients treated with ketamine. Depression (PHQ-9) and anxiety (GAD-7) scores improved over eight infusions.",
        ),
        (
            &["anxiety"],
            "Ketamine in panic disorder",
            "We describe eight patients with panic disorder treated with ketamine. Panic attacks decreased.",
        ),
        (
            &["anxiety"],
            "Dental anxiety and ketamine sedation",
            "Children with severe dental anxiety were randomized to oral ketamine or midazolam before treatment.",
        ),
        (
            &["depression"],
            "Esketamine nasal spray in major depression",
            "Adults with major depressive disorder were randomized to esketamine or placebo. MADRS fell. Anxiety was the most common adverse event.",
        ),
        (
            &["depression"],
            "Ketamine in major depression",
            "Patients with MDD received ketamine infusions. The most frequent adverse events were nausea, dizziness and anxiety.",
        ),
        (
            &[],
            "Ketamine and postoperative delirium",
            "Older adults undergoing surgery were randomized to ketamine or placebo. The odds of delirium were adjusted for age, sex, anxiety and depression.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with major depression received ketamine. Patients with comorbid anxiety disorders were excluded.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with depression received ketamine. Transient anxiety occurred in three patients.",
        ),
        (
            &[],
            "Ketamine and pain after surgery",
            "Adults were randomized to ketamine or saline during surgery. Pain scores were lower with ketamine. At baseline, 40% of patients had comorbid anxiety.",
        ),
        (
            &[],
            "Ketamine in the emergency department",
            "Adults with acute pain were randomized to ketamine or morphine. Dissociation, anxiety and nausea were reported in 10%, 8% and 5% of patients.",
        ),
        (
            &["depression"],
            "Ketamine for depression",
            "Patients with MDD received ketamine or midazolam. Treatment-emergent anxiety was rare. MADRS scores fell.",
        ),
        (
            &[],
            "Ketamine and postoperative pain",
            "Adults were randomized to ketamine or saline. Pain was lower with ketamine. Covariates included age, baseline pain, anxiety and depression.",
        ),
        (
            &[],
            "Ketamine sedation for children",
            "Children were randomized to ketamine or propofol for sedation. Parental anxiety and satisfaction were similar between groups.",
        ),
        (
            &["trd", "depression"],
            "Esketamine in TRD",
            "Adults with TRD received esketamine. Two patients discontinued because of anxiety. MADRS fell.",
        ),
        (
            &[],
            "Ketamine and GAD67 in mice",
            "Mice received ketamine; GAD67 expression rose and anxiety-like behaviour fell.",
        ),
        (
            &["depression"],
            "Esketamine in MDD",
            "Adults with MDD were randomized to esketamine or placebo. Common adverse events (>=5%) included dissociation, nausea and anxiety.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Adults with MDD received ketamine. Anxiety, dizziness and raised blood pressure were mild and resolved within two hours.",
        ),
        (
            &[],
            "Ketamine and delirium",
            "Older adults were randomized to ketamine or placebo. In a multivariable model adjusting for depression, anxiety and frailty, ketamine did not reduce delirium.",
        ),
        (
            &[],
            "Ketamine and chronic pain",
            "Adults with chronic pain were randomized to ketamine or placebo. Pain fell. Psychiatric comorbidities (anxiety, depression) were recorded at baseline.",
        ),
        (
            &["anxiety"],
            "Anxiolytic effects of ketamine in healthy volunteers",
            "Healthy volunteers received ketamine or saline; state anxiety was measured with the STAI.",
        ),
        (
            &["anxiety", "depression"],
            "Ketamine and mood after surgery",
            "Patients were randomized to esketamine or saline. Secondary outcomes were anxiety and depression scores (HADS) at day 3.",
        ),
        (
            &["anxiety"],
            "Ketamine premedication for children",
            "Children were randomized to intranasal ketamine or saline. Separation anxiety and mask acceptance were scored.",
        ),
        (
            &[],
            "Ketamine and emergence agitation",
            "Children were randomized to ketamine or saline. Emergence agitation was the primary outcome. Anxiety of the parents was also recorded.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with MDD received ketamine. Anxiety was reported by 4 patients during the infusion.",
        ),
        (
            &["depression"],
            "Ketamine",
            "Patients with MDD received ketamine. The infusion was well tolerated; transient dissociation and anxiety occurred.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Adults with MDD received ketamine. Dissociative symptoms and anxiety peaked at 40 minutes and resolved by two hours.",
        ),
        (
            &["depression"],
            "Esketamine",
            "Adults with MDD received esketamine. Anxiety and hypertension led to discontinuation in two patients.",
        ),
        (
            &[],
            "Ketamine and delirium after cardiac surgery",
            "Older adults were randomized to ketamine or saline. Models controlled for age, anxiety and baseline cognition; delirium did not differ.",
        ),
        (
            &[],
            "Ketamine and delirium",
            "Older adults were randomized to ketamine or saline. Preoperative anxiety was independently associated with delirium.",
        ),
        (
            &[],
            "Ketamine and pain",
            "Adults were randomized to ketamine or saline. Potential confounders (age, sex, anxiety, depression) were examined.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "A meta-analysis of trials that excluded patients with anxiety disorders found ketamine effective in MDD. We then randomized adults with MDD to ketamine.",
        ),
        (
            &["anxiety"],
            "Ketamine and preoperative anxiety",
            "Adults with high preoperative anxiety (APAIS score of 11 or more) were randomized to esketamine or saline before surgery.",
        ),
    ]);
}

/// Use disorders, dependence, withdrawal syndromes and ketamine misuse; not an exclusion,
/// postoperative opioid use, a randomised-withdrawal design, misuse monitoring or a funder's name.
#[test]
fn substance_use_wording_classes() {
    check(&[
        (
            &["substance-use"],
            "Ketamine for alcohol use disorder: a randomized trial",
            "Adults with alcohol use disorder were randomized to ketamine or midazolam. Heavy drinking days fell.",
        ),
        (
            &["substance-use"],
            "Ketamine for cocaine dependence",
            "Cocaine-dependent adults were randomized to ketamine or midazolam; cocaine use fell.",
        ),
        (
            &["substance-use"],
            "Recreational ketamine use among nightclub attendees",
            "We surveyed 800 nightclub attendees about recreational ketamine use and harms.",
        ),
        (
            &["substance-use"],
            "Ketamine-induced cystitis",
            "We describe 12 ketamine abusers with lower urinary tract symptoms.",
        ),
        (
            &["substance-use"],
            "Ketamine for opioid withdrawal",
            "Patients with opioid use disorder starting buprenorphine were randomized to ketamine or placebo. Opioid withdrawal symptoms (COWS) were lower.",
        ),
        (
            &["substance-use", "depression"],
            "Ketamine in patients with depression and alcohol use disorder",
            "Patients with comorbid alcohol use disorder and depression received ketamine. Drinking and depression improved.",
        ),
        (
            &["substance-use"],
            "Ketamine for methamphetamine dependence",
            "Adults with methamphetamine use disorder received ketamine infusions; craving fell.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with major depression received ketamine. Patients with comorbid alcohol use disorder were excluded.",
        ),
        (
            &[],
            "Ketamine after spine surgery",
            "Adults were randomized to ketamine or saline. Postoperative opioid consumption was the primary outcome.",
        ),
        (
            &["depression"],
            "Esketamine maintenance",
            "A randomized withdrawal design tested esketamine in patients with depression who had responded.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with depression received ketamine. Participants were monitored for signs of ketamine misuse and craving.",
        ),
        (
            &[],
            "Ketamine for pain: a protocol",
            "Adults were randomized to ketamine or placebo after surgery. This project is part of the NIH Helping to End Addiction Long-term (HEAL) Initiative.",
        ),
        (
            &[],
            "Ketamine for chronic pain",
            "Adults with chronic pain were randomized to ketamine or placebo. Funded by the National Institute on Drug Abuse.",
        ),
        (
            &["depression"],
            "Ketamine for depression",
            "Patients with depression received ketamine. A history of substance use disorder was an exclusion criterion.",
        ),
        (
            &["depression"],
            "Esketamine discontinuation",
            "After esketamine was stopped in patients with depression, withdrawal symptoms were assessed with the Physician Withdrawal Checklist.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with MDD received ketamine. No patient developed ketamine dependence.",
        ),
        (
            &[],
            "Ketamine for pain",
            "Adults were randomized to ketamine or placebo. Opioid use in the first 48 hours was lower with ketamine.",
        ),
        (
            &["substance-use"],
            "Ketamine in alcohol withdrawal",
            "Patients admitted with severe alcohol withdrawal were given ketamine as an adjunct to benzodiazepines.",
        ),
        (
            &["substance-use"],
            "Ketamine for alcohol relapse prevention",
            "Abstinent patients with alcohol dependence were randomized to ketamine or placebo; relapse was lower.",
        ),
        (
            &["substance-use"],
            "Ketamine users",
            "We compared cognition in 40 frequent ketamine users and 40 controls.",
        ),
        (
            &["substance-use"],
            "Ketamine for opioid use disorder",
            "Adults with OUD were randomized to ketamine during buprenorphine induction.",
        ),
        (
            &["substance-use"],
            "Smoking cessation and ketamine",
            "Smokers who wanted to quit were randomized to ketamine or placebo; cigarette use fell.",
        ),
        (
            &[],
            "Ketamine and opioid-induced hyperalgesia",
            "Adults on chronic opioid therapy were randomized to ketamine; opioid-induced hyperalgesia fell.",
        ),
        (
            &["depression"],
            "Esketamine",
            "Adults with MDD received esketamine. There was no evidence of abuse or misuse; no withdrawal symptoms occurred after discontinuation.",
        ),
        (
            &[],
            "Ketamine in anesthesia",
            "Adults were randomized to ketamine or saline during surgery. Patients with a history of drug abuse were not eligible.",
        ),
        (
            &["depression"],
            "Ketamine for depression",
            "Patients with MDD received ketamine. The risk of ketamine abuse and dependence should be considered.",
        ),
        (
            &[],
            "Ketamine for pain",
            "Adults with chronic pain were randomized to ketamine. Alcohol use and smoking status were recorded as covariates.",
        ),
        (
            &[],
            "Ketamine sedation",
            "Children were randomized to ketamine. Opioid requirements after surgery were lower.",
        ),
        (
            &["substance-use"],
            "Problematic ketamine use",
            "We interviewed 60 adults with problematic ketamine use about bladder symptoms and cravings.",
        ),
        (
            &["substance-use"],
            "Heavy ketamine users",
            "Heavy ketamine use was associated with memory impairment in 50 users compared with 50 controls.",
        ),
        (
            &["depression"],
            "Long-term ketamine treatment",
            "Patients with MDD received long-term ketamine treatment; MADRS fell.",
        ),
    ]);
}

/// PTSD diagnoses, symptom outcomes and prevention after injury; not a count of diagnoses in the
/// sample, an exclusion, the opening motivation, an animal model or future work.
#[test]
fn ptsd_wording_classes() {
    check(&[
        (
            &["ptsd"],
            "Ketamine for chronic PTSD",
            "Veterans with chronic PTSD were randomized to ketamine or midazolam. PTSD symptoms (PCL-5) fell.",
        ),
        (
            &["ptsd"],
            "Ketamine in PTSD",
            "Adults with posttraumatic stress disorder received ketamine. CAPS-5 total scores fell at day 7.",
        ),
        (
            &["ptsd"],
            "Ketamine after injury",
            "Injured adults were randomized to ketamine or placebo in the emergency department for the prevention of post-traumatic stress after injury. PTSD symptoms were measured at 3 months.",
        ),
        (
            &["ptsd"],
            "Esketamine and posttraumatic stress after trauma surgery",
            "Trauma patients were randomized to esketamine or saline. Posttraumatic stress symptoms at one month were lower with esketamine.",
        ),
        (
            &["ptsd", "depression"],
            "Ketamine in veterans with PTSD and depression",
            "Veterans with PTSD and comorbid depression received ketamine; PCL-5 and PHQ-9 scores fell.",
        ),
        (
            &["depression", "anxiety"],
            "Ketamine in a clinic",
            "We reviewed 450 patients. 420 (93%) patients had a diagnosis of major depressive disorder and 126 (28%) patients had a diagnosis of post-traumatic stress disorder. Depression (PHQ-9) and anxiety (GAD-7) scores improved.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with major depression received ketamine. Patients with PTSD were excluded.",
        ),
        (
            &[],
            "Ketamine in healthy volunteers",
            "Ketamine has rapid effects in TRD, PTSD and OCD. We studied 20 healthy volunteers who received ketamine. Connectivity changed.",
        ),
        (
            &[],
            "Ketamine in mice",
            "Mice exposed to single prolonged stress received ketamine. PTSD-like behaviour fell.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with MDD received ketamine. Comorbid PTSD was present in 30% of participants. MADRS fell.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with MDD received ketamine. MADRS fell. Future trials should test ketamine in PTSD.",
        ),
        (
            &["ptsd"],
            "Ketamine for PTSD",
            "Active-duty service members with posttraumatic stress disorder were randomized to ketamine or placebo. Symptoms were rated with the CAPS-5.",
        ),
        (
            &["ptsd"],
            "Ketamine in the trauma bay",
            "Injured patients received ketamine or morphine. Acute stress and later PTSD symptoms were assessed at 6 weeks.",
        ),
        (
            &[],
            "Ketamine for traumatic brain injury",
            "Patients with traumatic brain injury were randomized to ketamine or fentanyl for sedation. Intracranial pressure was recorded.",
        ),
        (
            &["depression", "ptsd"],
            "Ketamine in MDD",
            "Patients with MDD received ketamine. A history of trauma or PTSD did not predict response.",
        ),
        (
            &["ptsd"],
            "Ketamine after trauma",
            "Injured adults were randomized to ketamine or morphine. Post-traumatic stress symptoms (PTSS) at three months were the primary outcome; PTSS did not differ.",
        ),
    ]);
}

/// Suicidal ideation as criterion or outcome, a scale's suicide item, "SI" (defined or in a
/// depression entry); not an exclusion, emergent ideation, self-harm without intent, safety
/// monitoring, or "with or without" suicide risk.
#[test]
fn suicidality_wording_classes() {
    check(&[
        (
            &["suicidality", "depression"],
            "Ketamine for suicidal ideation in depression",
            "Depressed patients with suicidal ideation (SI) were randomized to ketamine or midazolam. SI fell at 24 hours.",
        ),
        (
            &["suicidality", "depression"],
            "Ketamine and MADRS suicide item",
            "Patients with MDD received ketamine. MADRS item 10 (suicidal thoughts) fell at 4 hours.",
        ),
        (
            &["suicidality", "depression"],
            "Esketamine in depression",
            "Adults with MDD were randomized to esketamine. Scores on the suicide item of the HAM-D improved.",
        ),
        (
            &["suicidality"],
            "Ketamine in the emergency department",
            "Adults presenting after a suicide attempt were randomized to ketamine or placebo. The Beck Scale for Suicide Ideation fell.",
        ),
        (
            &["suicidality", "depression"],
            "Esketamine and suicidal thoughts",
            "Patients with MDD received esketamine. Remission of SI was higher with esketamine.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with major depression received ketamine. Patients with active suicidal ideation were excluded.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with major depression received ketamine. No treatment-emergent suicidal ideation was observed.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Adolescents with depression received ketamine. Non-suicidal self-injury was recorded.",
        ),
        (
            &["trd", "depression"],
            "Ketamine in TRD",
            "Individuals with TRD with or without suicide risk were randomized to ketamine or escitalopram. MADRS fell.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with MDD received ketamine. Safety assessments included vital signs and the C-SSRS.",
        ),
        (
            &["suicidality"],
            "Ketamine in the emergency department",
            "Patients with acute suicidal ideation were randomized to ketamine or midazolam. The Scale for Suicide Ideation (SSI) fell.",
        ),
        (
            &["suicidality", "depression"],
            "Ketamine in MDD",
            "Patients with MDD received ketamine. Suicidal thoughts (MADRS item 10) improved at 24 hours.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Suicide is a leading cause of death. We randomized 40 adults with MDD to ketamine or placebo.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with MDD received ketamine. Patients at imminent risk of suicide were excluded.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Patients with MDD received ketamine. Self-harm without suicidal intent was recorded.",
        ),
    ]);
}

/// Named resistance and failed adequate trials; not approval background, resistance of another
/// disorder, intolerance, failed psychotherapy, or an exclusion.
#[test]
fn trd_wording_classes() {
    check(&[
        (
            &["trd", "depression"],
            "Ketamine in depression",
            "Adults with major depression who had failed at least two adequate antidepressant trials received ketamine.",
        ),
        (
            &["trd", "depression"],
            "Ketamine in difficult-to-treat depression",
            "Outpatients received ketamine.",
        ),
        (
            &["trd", "depression"],
            "Ketamine in MDD",
            "Adults with MDD and non-response to two or more antidepressants received ketamine.",
        ),
        (
            &["trd", "depression"],
            "Esketamine",
            "Patients with depression who had not responded to two or more antidepressant treatments in the current episode received esketamine.",
        ),
        (
            &["trd", "depression"],
            "Ketamine",
            "Adults with treatment-refractory major depression were randomized to ketamine or ECT.",
        ),
        (
            &["trd", "depression", "bipolar"],
            "Ketamine in bipolar",
            "Patients with treatment-resistant bipolar depression received ketamine.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Esketamine is approved for TRD. We randomized 40 adults with a first depressive episode to ketamine or placebo.",
        ),
        (
            &["ocd"],
            "Ketamine in OCD",
            "Patients with treatment-resistant OCD received ketamine; Y-BOCS fell.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Adults with MDD who had intolerance to two antidepressants received ketamine.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Adults with MDD who had failed psychotherapy received ketamine.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Adults with MDD received ketamine. Patients with TRD were excluded.",
        ),
        (
            &["trd", "depression"],
            "Ketamine in depression",
            "We enrolled 30 adults with major depression resistant to at least two antidepressants. MADRS fell after ketamine.",
        ),
        (
            &["trd", "depression"],
            "Ketamine in depression",
            "Adults with MDD and an inadequate response to >=2 antidepressants in the current episode were randomized to esketamine or quetiapine.",
        ),
        (
            &["trd", "depression"],
            "Esketamine in depression",
            "Patients with major depressive disorder who had not responded to at least two oral antidepressants received esketamine nasal spray.",
        ),
        (
            &["trd", "depression"],
            "Ketamine for refractory major depressive disorder",
            "Inpatients received six ketamine infusions.",
        ),
        (
            &["trd", "depression"],
            "Ketamine in treatment-resistant patients",
            "Depressed patients who were treatment-resistant received ketamine; MADRS fell.",
        ),
        (
            &["trd", "depression"],
            "Ketamine and ECT",
            "Patients with treatment resistant MDD were randomized to ketamine or ECT.",
        ),
        (
            &["trd", "depression"],
            "Esketamine",
            "Patients with depression who had failed two or more antidepressant medications received esketamine.",
        ),
        (
            &["trd", "depression"],
            "Ketamine",
            "Adults with depression that had not responded to two adequate antidepressant trials received ketamine.",
        ),
        (
            &["trd", "depression"],
            "Ketamine",
            "Participants had failed to respond to at least two antidepressants of adequate dose and duration.",
        ),
        (
            &["depression"],
            "Ketamine in MDD",
            "Adults with MDD who had not responded to one antidepressant received ketamine.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Ketamine is effective in treatment-resistant depression. We randomized 50 adults with a first episode of major depression to ketamine or placebo.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with MDD received ketamine. Whether ketamine helps patients with TRD remains unclear.",
        ),
        (
            &["depression"],
            "Ketamine in depression",
            "Patients with MDD received ketamine. Future studies should enroll patients with TRD.",
        ),
        (
            &["depression"],
            "Ketamine after psychotherapy",
            "Antidepressant-naive adults with MDD whose psychotherapy had failed received ketamine. Failed psychotherapy does not establish treatment resistance.",
        ),
    ]);
}

/// A review takes the conditions of its stated scope ("promise for treating"), and a review of
/// preclinical and clinical work is not animal-only; a mechanism review's motivation, and a
/// non-review's "show promise in the treatment of" list, set nothing.
#[test]
fn review_scope_and_motivation_wording() {
    check(&[
        (
            &["depression", "ptsd"],
            "Repurposing anesthetics for psychiatric disorders",
            "This narrative review examines preclinical and clinical studies of anesthetics such as ketamine and propofol. Various research highlights rapid antidepressant effects, demonstrating promise for treating depression, post-traumatic stress disorder and cognitive decline.",
        ),
        (
            &["ptsd"],
            "Molecular pathways of ketamine: a systematic review of effects on PTSD",
            "This systematic review examines the effects of ketamine on PTSD. The 29 included studies comprised preclinical models and clinical trials. Ketamine altered BDNF and mTOR signalling.",
        ),
        (
            &[],
            "Ketamine and mTOR signalling",
            "Ketamine is a rapid-acting antidepressant. This review discusses its actions on mTOR signalling and synaptic plasticity in rodent neurons.",
        ),
        (
            &["ptsd", "depression"],
            "Ketamine-assisted therapy for health care providers",
            "Psychedelic-assisted therapies show significant promise in the treatment of depression, anxiety, PTSD and addiction. We treated 94 providers with PTSD and depression with ketamine; PCL-5 and PHQ-9 scores fell.",
        ),
        (
            &["suicidality", "depression"],
            "Esketamine during ECT",
            "Patients with major depression were randomized to esketamine or saline during electroconvulsive therapy. Remission of SI was higher with esketamine.",
        ),
        (
            &[],
            "Ketamine for sacroiliac joint pain",
            "Adults with sacroiliac joint pain were randomized to ketamine or lidocaine injections into the SI joint.",
        ),
    ]);
}
