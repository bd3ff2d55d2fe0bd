-- Helper macros available in every indicator expression (filter, numerator,
-- denominator, population filter) and indicator SQL file. hiis also defines
-- period_start() and period_end() from the run config. Add your own here:
-- the file is hashed into the manifest and copied into each run's bundle.

-- in_period(d): the date lies in the reporting period (inclusive).
CREATE MACRO in_period(d) AS d BETWEEN period_start() AND period_end();

-- icd3('J45.9') = 'J45'; icd4('J45.9') = 'J459'. ICD-10 codes arrive with or
-- without the dot and in either case.
CREATE MACRO icd3(code) AS left(upper(replace(trim(code), '.', '')), 3);
CREATE MACRO icd4(code) AS left(upper(replace(trim(code), '.', '')), 4);

-- opcs3('F09.1') = 'F09'. OPCS-4 procedure codes, the same way.
CREATE MACRO opcs3(code) AS left(upper(replace(trim(code), '.', '')), 3);

-- emergency_admission(method): admission methods 21–25, 2A–2D and 28
-- (NHS Data Dictionary, ADMISSION METHOD).
CREATE MACRO emergency_admission(method) AS trim(method) IN ('21', '22', '23', '24', '25', '2A', '2B', '2C', '2D', '28');

-- elective_admission(method): admission methods 11, 12 and 13.
CREATE MACRO elective_admission(method) AS trim(method) IN ('11', '12', '13');
