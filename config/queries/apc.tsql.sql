-- The query of apc.sql written for SQL Server (T-SQL): bracketed names, the
-- schema, and the SUS admitted patient care tables as a warehouse has them.
-- SQL Server cannot run on the machines hiis is tested on, so this file is
-- not run by the tests; apc.sql, its portable twin, is (on PostgreSQL).
-- ORDER BY keeps the staged rows in the same order each run, so an
-- unchanged warehouse gives the same staged file and the snapshot is reused.
SELECT [Der_Postcode_LSOA_2011_Code],
       [Ethnic_Group],
       [Age_At_Start_of_Spell_SUS],
       [Sex],
       [APCS_Ident],
       CAST([Admission_Date] AS date) AS [Admission_Date],
       [Admission_Method],
       [Patient_Classification],
       [Der_Primary_Diagnosis_Code],
       [Der_Primary_Procedure_Code]
FROM [dbo].[sus_apc]
WHERE [Admission_Date] >= CAST('2019-03-01' AS date)
ORDER BY [APCS_Ident];
