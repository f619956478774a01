// Faultline on Azure: Azure Bot, App Service for Linux (container), PostgreSQL Flexible Server,
// Key Vault for the secrets, Application Insights. Deploy with:
//   az deployment group create -g <resource-group> -f infra/azure/main.bicep -p @infra/azure/main.parameters.json

targetScope = 'resourceGroup'

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Short lowercase prefix for resource names (letters and digits, 3-12 characters).')
@minLength(3)
@maxLength(12)
param namePrefix string

@description('How the bot authenticates: SingleTenant, MultiTenant, or UserAssignedMSI (no secret at all).')
@allowed([
  'SingleTenant'
  'MultiTenant'
  'UserAssignedMSI'
])
param botAppType string = 'SingleTenant'

@description('The app registration (client) id of the bot. Leave empty for UserAssignedMSI: the identity created here is used.')
param botAppId string = ''

@description('The Entra tenant of the app registration (SingleTenant and UserAssignedMSI).')
param botAppTenantId string = subscription().tenantId

@description('The app registration\'s client secret (SingleTenant and MultiTenant). Stored in Key Vault only.')
@secure()
param botAppPassword string = ''

@description('The container image to run, e.g. myregistry.azurecr.io/faultline:1.0.0 (built from the Dockerfile).')
param containerImage string

@description('Path of the customer configuration inside the container (bake it into an image layer), empty for the demo.')
param customerConfigPath string = ''

@description('PostgreSQL administrator login name.')
param postgresAdminLogin string = 'faultline'

@description('PostgreSQL administrator password. Stored in Key Vault only.')
@secure()
param postgresAdminPassword string

@description('PostgreSQL Flexible Server compute tier and size.')
param postgresSku object = {
  name: 'Standard_B1ms'
  tier: 'Burstable'
}

@description('App Service plan size for Linux containers.')
param appServiceSku string = 'P0v3'

@description('Number of app instances (replicas share PostgreSQL; timers are claimed with SKIP LOCKED).')
@minValue(1)
param instanceCount int = 2

var suffix = uniqueString(resourceGroup().id, namePrefix)
var webAppName = '${namePrefix}-bot-${suffix}'
var usesSecret = botAppType != 'UserAssignedMSI'
var databaseName = 'faultline'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-id-${suffix}'
  location: location
}

resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('${namePrefix}kv${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

resource botSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (usesSecret) {
  parent: vault
  name: 'bot-app-password'
  properties: {
    value: botAppPassword
  }
}

resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    value: 'postgresql+asyncpg://${postgresAdminLogin}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?ssl=require'
  }
}

resource insightsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'appinsights-connection-string'
  properties: {
    value: insights.properties.ConnectionString
  }
}

// Key Vault Secrets User for the app's identity.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2023-06-01-preview' = {
  name: '${namePrefix}-pg-${suffix}'
  location: location
  sku: postgresSku
  properties: {
    version: '15'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: {
      storageSizeGB: 32
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2023-06-01-preview' = {
  parent: postgres
  name: databaseName
}

resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2023-06-01-preview' = {
  parent: postgres
  name: 'allow-azure-services'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-01-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  kind: 'linux'
  sku: {
    name: appServiceSku
    capacity: instanceCount
  }
  properties: {
    reserved: true
  }
}

var secretRef = 'https://${vault.name}${environment().suffixes.keyvaultDns}/secrets'
var baseSettings = [
  { name: 'MicrosoftAppType', value: botAppType }
  { name: 'MicrosoftAppId', value: botAppType == 'UserAssignedMSI' ? identity.properties.clientId : botAppId }
  { name: 'MicrosoftAppTenantId', value: botAppTenantId }
  { name: 'FAULTLINE_DATABASE_URL', value: '@Microsoft.KeyVault(SecretUri=${secretRef}/database-url)' }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: '@Microsoft.KeyVault(SecretUri=${secretRef}/appinsights-connection-string)' }
  { name: 'FAULTLINE_CONFIG', value: customerConfigPath }
  { name: 'FAULTLINE_LOG_FORMAT', value: 'json' }
  { name: 'WEBSITES_PORT', value: '3978' }
  { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
]
var secretSettings = usesSecret ? [
  { name: 'MicrosoftAppPassword', value: '@Microsoft.KeyVault(SecretUri=${secretRef}/bot-app-password)' }
] : []

resource web 'Microsoft.Web/sites@2023-01-01' = {
  name: webAppName
  location: location
  kind: 'app,linux,container'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerImage}'
      alwaysOn: true
      healthCheckPath: '/healthz'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(baseSettings, secretSettings)
    }
  }
  dependsOn: [
    secretsUser
    database
    allowAzure
  ]
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${namePrefix}-bot-${suffix}'
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: 'S1'
  }
  properties: {
    displayName: 'Faultline'
    endpoint: 'https://${web.properties.defaultHostName}/api/messages'
    msaAppType: botAppType
    msaAppId: botAppType == 'UserAssignedMSI' ? identity.properties.clientId : botAppId
    msaAppTenantId: botAppType == 'MultiTenant' ? '' : botAppTenantId
    msaAppMSIResourceId: botAppType == 'UserAssignedMSI' ? identity.id : ''
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

@description('The messaging endpoint the Azure Bot calls.')
output messagingEndpoint string = 'https://${web.properties.defaultHostName}/api/messages'

@description('The bot app id to put in MicrosoftAppId when packaging the Teams app.')
output botAppIdInUse string = botAppType == 'UserAssignedMSI' ? identity.properties.clientId : botAppId

@description('The Key Vault holding the secrets.')
output keyVaultName string = vault.name
