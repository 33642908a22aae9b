// Key Vault for the client secret (with its real expiry as `exp`), one refresh token per
// connection, and webhook URLs. Access is by Azure RBAC only, never by access policies.

param name string
param location string
param tags object

@description('Principal id of the managed identity (reads and writes secrets: it stores rotated refresh tokens).')
param principalId string

@description('Object id of the person deploying; empty grants nothing.')
param deployerPrincipalId string

@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string

// 'recover' restores a soft-deleted vault of this name with its secrets. Soft delete removed its
// role assignments (and Event Grid subscriptions), so the assignments below are declared the same
// way in both modes and are created again; the postdeploy hook re-creates the subscription.
@allowed(['default', 'recover'])
param createMode string

// Key Vault Secrets Officer (DESIGN section 7): the code writes refresh tokens back and sets the
// client secret from the admin API, so read-only "Secrets User" is not enough.
var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    createMode: createMode
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    // Soft delete and purge protection: a deleted refresh token or client secret can be recovered
    // for 90 days, and nobody (not even an owner) can purge it early.
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource identitySecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// With RBAC authorization even the subscription owner cannot write secrets; the person deploying
// needs this to store the client secret (`npm run cli -- secret set`).
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, secretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
