// Stands in for @azure/identity in every bundle. tedious (mssql's driver) loads it for Azure AD
// logins only; the agent logs in to SQL Server with a SQL login (src/apps/mssql-conn.ts), so the
// bundles leave out @azure/identity and MSAL (~0.8 MB of script, more with bytecode). A use
// says so instead of failing somewhere inside tedious.
class NotBuiltIn {
  constructor() {
    throw new Error(
      'Azure AD authentication is not built into app-snapshot-plugin: use a SQL Server login',
    );
  }
}
module.exports = {
  DefaultAzureCredential: NotBuiltIn,
  ClientSecretCredential: NotBuiltIn,
  ManagedIdentityCredential: NotBuiltIn,
  UsernamePasswordCredential: NotBuiltIn,
};
