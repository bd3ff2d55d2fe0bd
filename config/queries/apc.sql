-- Admitted patient care spells for hiis (source kind apc), one row per spell.
-- Portable SQL: it runs as written on SQL Server (T-SQL, with the default
-- QUOTED_IDENTIFIER ON) and on PostgreSQL, where the tests run it against a
-- throwaway server loaded with fixtures/sources/apc.csv. On SQL Server the
-- table would be named with its schema, e.g. [dbo].[sus_apc]; see
-- apc.tsql.sql for the same query in T-SQL's own idiom.
SELECT "Der_Postcode_LSOA_2011_Code",
       "Ethnic_Group",
       "Age_At_Start_of_Spell_SUS",
       "Sex",
       "APCS_Ident",
       "Admission_Date",
       "Admission_Method",
       "Patient_Classification",
       "Der_Primary_Diagnosis_Code",
       "Der_Primary_Procedure_Code"
FROM sus_apc
WHERE "Admission_Date" >= CAST('2019-03-01' AS date)
ORDER BY "APCS_Ident"
